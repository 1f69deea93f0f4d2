import type { FixStep } from './steps';
import type { BaseConfig, ConfigOf, ConfigSections, EngineConfig } from '../config';
import type { AccessQuestion, JsonPatchOp, KubeClient } from '../k8s/client';
import type { ResourceName } from '../k8s/resources';
import type { Snapshot } from './snapshot';
import type { CodeTable, ParamValue, Severity, SuppressedBy } from './codes';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error' | 'skipped';

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
  /** Manual steps specific to this finding; falls back to the check's general ones. */
  manualFix?: string[];
  /** The finding's stable code (its check's codes table); every finding but a pass has one. */
  code?: string;
  /** The values its summary was rendered from. */
  params?: Record<string, ParamValue>;
}

export interface CheckExplain<C extends BaseConfig = EngineConfig> {
  symptom: string;
  rootCause: string;
  /** The manual remedy as `oc` commands, with the configured names filled in. */
  manualFix(config: C): string[];
  /**
   * How this check's failure shows in a flywheel job's error text (lib/jobs): what identifies it,
   * and the cause in one line. The job triage links a failed job to the check whose signature matches.
   */
  jobSignatures?: readonly JobSignature[];
}

/** One way a check's failure shows in a flywheel job's error (flywheel-jobs.md). */
export interface JobSignature {
  pattern: RegExp;
  /** What broke, in one line; `$1`… are the pattern's groups (e.g. the model id). */
  cause: string;
}

/** What every step of a check receives: the run's snapshot, the configuration, and what locate found. */
export interface CheckInput<C extends BaseConfig, S> {
  config: C;
  snapshot: Snapshot;
  /** What the check is about (the evaluator, the gateway, the PVC), located once per run. */
  subject: S;
}

export interface ProbeContext<C extends BaseConfig = EngineConfig, S = unknown> extends CheckInput<C, S> {
  /** The app's own identity: checks only read. */
  client: KubeClient;
  signal: AbortSignal;
  /** Judging for a fix preview, which must create nothing: probes that start pods do not run. */
  preview?: boolean;
  /** What the check's `prefetch` is answering, when the run started one (absent in fixes: read anew). */
  prefetched?: Promise<unknown>;
}

/** What `prefetch` gets: only the configuration, since it runs before any list has arrived. */
export interface PrefetchContext<C extends BaseConfig = EngineConfig> {
  config: C;
  client: KubeClient;
  signal: AbortSignal;
}

export interface JudgeInput<C extends BaseConfig = EngineConfig, S = unknown, P = unknown> extends CheckInput<C, S> {
  probe: P;
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
  /** `absent`: the plan creates the object, so it must not exist when the fix is applied. */
  field: 'generation' | 'resourceVersion' | 'absent';
  value: string;
}

/** What a check's plan returns; the engine adds the check id. */
export interface PlanBody<D = unknown> {
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

export interface FixPlan<D = unknown> extends PlanBody<D> {
  checkId: string;
}

export interface FixContext<C extends BaseConfig = EngineConfig, S = unknown, P = unknown> extends CheckInput<C, S> {
  /** What the probe saw and the judge concluded just before planning. */
  probe: P;
  finding: Finding;
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

/** Why no automatic fix is offered for a finding (the user gets the manual steps instead). */
export interface FixUnavailable {
  reason: string;
}

export interface FixDefinition<C extends BaseConfig = EngineConfig, S = unknown, P = unknown, D = unknown> {
  description: string;
  /**
   * What applying this fix changes, as names other fixes can refer to (e.g. `NemoEvaluator`,
   * `gateway-config`). Fix all orders by these; see `undoneBy`.
   */
  touches?: readonly string[];
  /**
   * Changes that undo this fix (e.g. a NemoEvaluator CR patch makes the operator re-render the
   * evaluator Deployment and drop Deployment-only edits): fixes touching these go first.
   */
  undoneBy?: readonly string[];
  /**
   * Whether this finding can be fixed automatically, by the same rules the plan follows: a plan is
   * only ever asked for when this says true, so no offered fix is certain to be refused.
   * Absent: every `fail` or `warn` can be fixed.
   */
  available?(input: JudgeInput<C, S, P> & { finding: Finding }): true | FixUnavailable;
  /**
   * The permissions the acting identity needs to apply the fix (SelfSubjectAccessReviews for the
   * Fix button). With the subject, a fix can name permissions that depend on cluster content
   * (e.g. everything a Role grants, for RBAC escalation prevention).
   */
  permissions(config: C, subject?: S): AccessQuestion[];
  plan(ctx: FixContext<C, S, P>): Promise<PlanBody<D>> | PlanBody<D>;
  /**
   * The plan as steps the engine executes (lib/engine/steps): typed writes with their waits. The
   * engine dry-runs each in a preview, reports progress per step, and after a failure says which
   * steps are in effect; the same path serves a person's fix, Fix all and the watch's auto-fix.
   */
  steps(ctx: FixContext<C, S, P>, plan: PlanBody<D>): FixStep[] | Promise<FixStep[]>;
  /**
   * Reads back which of the plan's steps are in effect in the cluster now (when a fix fails midway,
   * the answer says what took effect, not what was attempted). Absent: the progress log is reported.
   */
  readBack?(ctx: FixContext<C, S, P>, plan: PlanBody<D>): Promise<Array<{ step: string; done: boolean }>>;
}

/**
 * A check reads top to bottom: locate what it is about, probe what the snapshot cannot show,
 * judge (pure), and optionally fix. Each step gets the subject located once per run.
 */
export interface CheckDefinition<
  Sec extends ConfigSections = ConfigSections,
  S = undefined,
  P = undefined,
  D = unknown,
> {
  id: string;
  /** Former ids, still accepted wherever an id is (CLI flags, API routes), so scripts keep working after a rename. */
  aliases?: readonly string[];
  title: string;
  /** Groups results on the dashboard and in reports (e.g. "Gateway"). */
  area: string;
  /** The configuration sections this check reads; the configuration schema is assembled from them. */
  config?: Sec;
  /** Every distinct finding this check can produce: code -> severity, wording, remedy (its codes.ts). */
  codes: CodeTable;
  /** What the per-run snapshot must hold for this check. */
  needs: ResourceName[];
  /** Its probe starts a pod: the watch runs it on the schedule, never on every change. */
  runsPods?: boolean;
  /**
   * Checks whose failures this one inherits (its verdict is judged through what they check): their
   * fixes go first, and their failures are named when this one fails because of them.
   */
  dependsOn?: readonly string[];
  /** Extra read permissions the probe uses beyond `needs` (for least-privilege RBAC). */
  probePermissions?(config: ConfigOf<Sec>): AccessQuestion[];
  explain: CheckExplain<ConfigOf<Sec>>;
  /** Pure: finds the check's subject in the snapshot (throws the snapshot's read errors). */
  locate?(snapshot: Snapshot, config: ConfigOf<Sec>): S;
  /**
   * Live reads whose subjects the configuration already names (the access review of a configured
   * service account), started with the run's lists rather than after them; the probe receives the
   * promise as `prefetched` and uses it when the located subject is the one asked about.
   */
  prefetch?(ctx: PrefetchContext<ConfigOf<Sec>>): Promise<unknown>;
  /** Live observations beyond the snapshot (HTTP, access reviews, probe pods). */
  probe?(ctx: ProbeContext<ConfigOf<Sec>, S>): Promise<P>;
  /** Pure: same snapshot, subject and probe in, same finding out. */
  judge(input: JudgeInput<ConfigOf<Sec>, S, P>): Finding;
  fix?: FixDefinition<ConfigOf<Sec>, S, P, D>;
}

// The registry holds checks of every configuration, subject, probe and plan type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCheck = CheckDefinition<any, any, any, any>;

/** Identity-free helper so check files read naturally: `export default defineCheck({...})`. */
export function defineCheck<Sec extends ConfigSections = ConfigSections, S = undefined, P = undefined, D = unknown>(
  def: CheckDefinition<Sec, S, P, D>,
): CheckDefinition<Sec, S, P, D> {
  return def;
}

/** A fix that was applied (or found nothing to do), for reports and history. */
export interface AppliedFix {
  checkId: string;
  at: string;
  by: string;
  outcome: string;
  summary: string;
  verifiedStatus?: CheckStatus;
}

export interface CheckResult {
  id: string;
  title: string;
  area: string;
  status: CheckStatus;
  summary: string;
  /** The finding's code and its title (absent on a pass). */
  code?: string;
  codeTitle?: string;
  /** The code's own severity when the configuration raised or lowered it. */
  defaultSeverity?: Severity;
  /** Accepted in the configuration: still shown, counted apart, and not part of the verdict. */
  suppressed?: SuppressedBy;
  evidence: Evidence[];
  symptom: string;
  rootCause: string;
  manualFix: string[];
  /** `reason` says why no automatic fix is offered (then the manual steps apply). */
  fix: { available: boolean; description: string; reason?: string };
  durationMs: number;
}

export interface RunSummary {
  pass: number;
  warn: number;
  fail: number;
  error: number;
  skipped: number;
  /** Findings accepted in the configuration (counted here, not under their status). */
  suppressed: number;
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
  /** What every reader must know about the namespace as a whole (it is being deleted). */
  notice?: string;
}

/** The check an id names: its own id or one of its former ids (aliases). */
export function findById<T extends { id: string; aliases?: readonly string[] }>(
  registry: readonly T[],
  id: string,
): T | undefined {
  return registry.find((c) => c.id === id) ?? registry.find((c) => c.aliases?.includes(id));
}
