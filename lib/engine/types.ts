import type { DoctorConfig } from '../config';
import type { AccessQuestion, JsonPatchOp, KubeClient } from '../k8s/client';
import type { ResourceName } from '../k8s/resources';
import type { Snapshot } from './snapshot';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error' | 'skipped';

export type CheckArea = 'NeMo Evaluator' | 'Storage' | 'Gateway' | 'Workloads';

/** One observation backing a result; rendered as a labelled row (code = monospace block). */
export interface Evidence {
  label: string;
  value: string;
  tone?: 'good' | 'bad' | 'info';
  code?: boolean;
}

/** What a check's judge returns: pure data derived from the snapshot and probes. */
export interface Finding {
  status: CheckStatus;
  summary: string;
  evidence: Evidence[];
  /** Root cause specific to this finding; falls back to the check's general explanation. */
  rootCause?: string;
}

export interface CheckExplain {
  symptom: string;
  rootCause: string;
  /** The manual remedy as `oc` commands, with the configured names filled in. */
  manualFix(config: DoctorConfig): string[];
}

export interface ProbeContext {
  config: DoctorConfig;
  snapshot: Snapshot;
  /** The app's own identity: checks only read. */
  client: KubeClient;
  signal: AbortSignal;
}

export interface JudgeInput<P> {
  snapshot: Snapshot;
  probe: P;
  config: DoctorConfig;
}

/** A change a fix will make, shown to the user before it is applied. */
export interface PlannedChange {
  /** e.g. "Role flywheel/nemoevaluator-sample" */
  target: string;
  action: 'patch' | 'create' | 'delete' | 'restart';
  description: string;
  patch?: JsonPatchOp[];
  before?: string;
  after?: string;
  manifest?: unknown;
}

/**
 * The object versions a plan was computed from: apply refuses if any has moved since.
 * Objects with a spec generation (Deployments, custom resources) are guarded on it, so status
 * updates by controllers are not mistaken for conflicting edits; others on resourceVersion.
 */
export interface PlanGuard {
  target: string;
  field: 'generation' | 'resourceVersion';
  value: string;
}

export interface FixPlan<D = unknown> {
  checkId: string;
  noop: boolean;
  summary: string;
  changes: PlannedChange[];
  risks: string[];
  guards: PlanGuard[];
  /** When a fix can be limited to parts (workloads), the parts a user may pick from. */
  targets?: string[];
  /** Fix-private data carried from plan to apply (never sent to clients). */
  data: D;
}

export interface FixContext {
  config: DoctorConfig;
  snapshot: Snapshot;
  /** Reads for planning use the app identity. */
  reader: KubeClient;
  /** Writes use the acting identity (forwarded user token, else kubeconfig identity). */
  actor: KubeClient;
  dryRun: boolean;
  /** Limit the fix to one of the plan's `targets` (e.g. one workload); all when unset. */
  target?: string;
  signal: AbortSignal;
  progress(step: string): void;
}

export interface FixDefinition<D = unknown> {
  description: string;
  /**
   * The permissions the acting identity needs to apply the fix (SelfSubjectAccessReviews for the
   * Fix button). With a snapshot, a fix can name permissions that depend on cluster content
   * (e.g. everything a Role grants, for RBAC escalation prevention).
   */
  permissions(config: DoctorConfig, snapshot?: Snapshot): AccessQuestion[];
  plan(ctx: FixContext): Promise<FixPlan<D>>;
  /** Applies the plan (honouring ctx.dryRun) and waits until the change took effect. */
  apply(ctx: FixContext, plan: FixPlan<D>): Promise<void>;
}

export interface CheckDefinition<P = undefined, D = unknown> {
  id: string;
  title: string;
  area: CheckArea;
  /** What the per-run snapshot must hold for this check. */
  needs: ResourceName[];
  /** Extra read permissions the probe uses beyond `needs` (for least-privilege RBAC). */
  probePermissions?(config: DoctorConfig): AccessQuestion[];
  explain: CheckExplain;
  /** Live observations beyond the snapshot (HTTP, access reviews, probe pods). */
  probe?(ctx: ProbeContext): Promise<P>;
  /** Pure: same snapshot and probe in, same finding out. */
  judge(input: JudgeInput<P>): Finding;
  fix?: FixDefinition<D>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = CheckDefinition<any, any>;

/** Identity-free helper so check files read naturally: `export default defineCheck({...})`. */
export function defineCheck<P = undefined, D = unknown>(def: CheckDefinition<P, D>): CheckDefinition<P, D> {
  return def;
}

export interface CheckResult {
  id: string;
  title: string;
  area: CheckArea;
  status: CheckStatus;
  summary: string;
  evidence: Evidence[];
  symptom: string;
  rootCause: string;
  manualFix: string[];
  fix: { available: boolean; description: string };
  durationMs: number;
}

export interface RunSummary {
  pass: number;
  warn: number;
  fail: number;
  error: number;
  skipped: number;
}

export type Verdict = 'healthy' | 'degraded' | 'unhealthy' | 'incomplete';

export interface RunResult {
  id: string;
  namespace: string;
  startedAt: string;
  finishedAt?: string;
  state: 'running' | 'done';
  summary: RunSummary;
  verdict: Verdict;
  checks: CheckResult[];
  pending: string[];
  timings: { snapshotMs: number; totalMs: number };
  /** Set when the run as a whole could not start (e.g. the cluster is unreachable). */
  error?: string;
}
