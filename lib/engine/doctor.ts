import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config';
import { canI, KubeAccess, whoAmI, type AccessQuestion, type Identity, type KubeClient } from '../k8s/client';
import { errorMessage, grantCommand, permissionText } from '../k8s/errors';
import type { ReportStore } from '../report/store';
import { HistoryStore } from '../watch/history';
import { recordFixEvent } from './events';
import { executeFix, type FixOutcome } from './fix';
import { fixAll, type FixAllResult } from './fix-all';
import { newRun, runChecks, selectChecks, type RunFeed } from './runner';
import { Snapshot } from './snapshot';
import { findById, type AnyCheck, type AppliedFix, type PlanGuard, type RunResult } from './types';

export interface CatalogEntry {
  id: string;
  title: string;
  area: string;
  symptom: string;
  fix: { available: boolean; description: string };
}

export interface FixPermission {
  allowed: boolean;
  missing: Array<{ permission: string; command: string }>;
}

const MAX_RUNS = 50;
/** Runs with much evidence (thousands of pods) are kept fewer, not bigger. */
const MAX_RUN_BYTES = 4 * 1024 * 1024;

/**
 * Where a Doctor reports finished runs and fixes (the server's Prometheus registry, lib/metrics.ts).
 * Passed in rather than imported, so the CLI does not load prom-client for figures it never serves.
 */
export interface RunMetrics {
  recordRun(run: RunResult): void;
  recordFix(namespace: string, check: string, outcome: string, auto: boolean): void;
}

/** How long a finished run still answers an identical request (a burst of clicks arrives over a while). */
const SHARE_RECENT_MS = 2000;

interface SharedRun {
  id: string;
  done: Promise<RunResult>;
  startedMs: number;
  finished: boolean;
}

const NO_METRICS: RunMetrics = { recordRun: () => undefined, recordFix: () => undefined };

/** What the checks are, without a cluster (the CLI's list, GET /api/checks). */
export function catalogOf(registry: readonly AnyCheck[]): CatalogEntry[] {
  return registry.map((c) => ({
    id: c.id,
    title: c.title,
    area: c.area,
    symptom: c.explain.symptom,
    fix: { available: !!c.fix, description: c.fix?.description ?? '' },
  }));
}

/**
 * The engine both front doors use (web routes and CLI): runs checks with the app identity,
 * applies fixes with the caller's identity, keeps recent runs and the fixes applied.
 */
export class Doctor {
  /**
   * Recent runs by id, oldest first: in flight as objects, finished ones as their JSON (what the API
   * sends anyway, and smaller than the objects), within MAX_RUNS and MAX_RUN_BYTES.
   */
  private readonly runs = new Map<string, RunResult | string>();
  private runBytes = 0;
  readonly fixLog: AppliedFix[] = [];

  /** Built by createDoctor (factory.ts), the one place front doors get an engine from. */
  constructor(
    readonly access: KubeAccess,
    readonly config: EngineConfig,
    readonly registry: readonly AnyCheck[],
    readonly reports: ReportStore,
    readonly metrics: RunMetrics = NO_METRICS,
  ) {}

  /** Same engine, another namespace (the UI's namespace switcher); the namespace is validated by the caller. */
  withNamespace(namespace: string): Doctor {
    if (namespace === this.config.namespace) return this;
    return new Doctor(this.access, { ...this.config, namespace }, this.registry, this.reports, this.metrics);
  }

  /** The client acting for an identity: the caller's forwarded token, else the app's own identity. */
  /** The app's own namespace: shared reports, run history and the leader Lease live there. */
  get appNamespace(): string {
    return this.reports.namespace;
  }

  client(identity: Identity = { kind: 'app' }): KubeClient {
    return this.access.as(identity);
  }

  catalog(): CatalogEntry[] {
    return catalogOf(this.registry);
  }

  /**
   * Runs and resolves with the finished run; it can be fetched by id too. `fresh` (the engine's own
   * re-checks: after a fix, after a change the watch saw) always starts a run that reads after the
   * call; `request` (a person asking) may share one, as startRun does.
   */
  run(only?: string[], sharing: 'fresh' | 'request' = 'fresh', feed?: RunFeed): Promise<RunResult> {
    return this.begin(only, sharing, feed).done;
  }

  /**
   * Starts a run in the background and returns its first state; poll getRun(id). An identical run
   * (same namespace and checks: reads use the app's identity, so every caller gets the same answer)
   * that is in flight, or started less than SHARE_RECENT_MS ago, answers instead of a new one: a
   * burst of "Run all" is one run, also when the burst outlasts the run.
   */
  startRun(only?: string[], sharing: 'fresh' | 'request' = 'request'): RunResult {
    return this.getRun(this.begin(only, sharing).id)!;
  }

  /** The latest run of each set of checks, while it can still be shared. */
  private readonly shared = new Map<string, SharedRun>();

  /** After a change made here, a run that read before it must not answer a later request. */
  private forgetFinishedRuns() {
    for (const [key, r] of this.shared) if (r.finished) this.shared.delete(key);
  }

  /** `feed`: objects the watch holds current, or reads already under way, used instead of listing again. */
  private begin(only: string[] | undefined, sharing: 'fresh' | 'request', feed?: RunFeed): SharedRun {
    const checks = selectChecks(this.registry, only); // validates ids before anything starts
    const key = checks
      .map((c) => c.id)
      .sort()
      .join(',');
    const now = Date.now();
    for (const [k, r] of this.shared) if (r.finished && now - r.startedMs > SHARE_RECENT_MS) this.shared.delete(k);
    const latest = this.shared.get(key);
    // Shared only while it can still be fetched by id (a flood of runs may have dropped it).
    if (sharing === 'request' && latest && this.runs.has(latest.id)) return latest;
    const id = randomUUID();
    const placeholder = newRun(id, this.config.namespace, checks);
    this.remember(placeholder);
    const done = runChecks(
      {
        client: this.access.app(),
        config: this.config,
        registry: this.registry,
        only,
        ...feed,
        onResult: (_r, run) => this.remember({ ...run, checks: [...run.checks] }),
      },
      id,
    )
      .catch((err): RunResult => ({
        ...placeholder,
        state: 'done',
        verdict: 'incomplete',
        finishedAt: new Date().toISOString(),
        pending: [],
        checks: [],
        error: errorMessage(err),
      }))
      .then((run) => {
        this.remember(run);
        this.metrics.recordRun(run);
        entry.finished = true;
        return run;
      });
    const entry: SharedRun = { id, done, startedMs: now, finished: false };
    this.shared.set(key, entry);
    return entry;
  }

  getRun(id: string): RunResult | undefined {
    const run = this.runs.get(id);
    return typeof run === 'string' ? (JSON.parse(run) as RunResult) : run;
  }

  private remember(run: RunResult) {
    this.forget(run.id);
    const kept = run.state === 'done' ? JSON.stringify(run) : run;
    this.runs.set(run.id, kept);
    if (typeof kept === 'string') this.runBytes += kept.length;
    // The newest run stays whatever its size; older ones go first.
    for (const id of this.runs.keys()) {
      if (id === run.id || (this.runs.size <= MAX_RUNS && this.runBytes <= MAX_RUN_BYTES)) break;
      this.forget(id);
    }
  }

  private forget(id: string) {
    const old = this.runs.get(id);
    if (typeof old === 'string') this.runBytes -= old.length;
    this.runs.delete(id);
  }

  check(id: string): AnyCheck {
    const c = findById(this.registry, id);
    if (!c)
      throw Object.assign(new Error(`unknown check "${id}"; known: ${this.registry.map((x) => x.id).join(', ')}`), {
        status: 404,
      });
    return c;
  }

  async fix(
    checkId: string,
    opts: {
      dryRun: boolean;
      target?: string;
      identity?: Identity;
      expectedGuards?: PlanGuard[];
      expectedFingerprint?: string;
      onProgress?: (s: string) => void;
      /** Applied by the watch on a regression (auto-fix), not by a person. */
      auto?: boolean;
    },
  ): Promise<FixOutcome> {
    const check = this.check(checkId);
    const actor = this.client(opts.identity);
    const who = opts.dryRun ? undefined : await this.actingUser(opts.identity);
    const ns = this.config.namespace;
    let outcome: FixOutcome;
    try {
      outcome = await executeFix({
        who,
        check,
        config: this.config,
        reader: this.access.app(),
        actor,
        dryRun: opts.dryRun,
        target: opts.target,
        expectedGuards: opts.expectedGuards,
        expectedFingerprint: opts.expectedFingerprint,
        onProgress: opts.onProgress,
      });
    } catch (err) {
      if (!opts.dryRun) this.metrics.recordFix(ns, check.id, 'failed', !!opts.auto);
      throw err;
    }
    if (!opts.dryRun) this.metrics.recordFix(ns, check.id, outcome.outcome, !!opts.auto);
    if (outcome.outcome === 'applied' && 'verified' in outcome)
      await recordFixEvent(
        this.access.app(),
        ns,
        outcome.plan,
        `${who} applied the ${check.id} fix${opts.auto ? ' automatically (regression)' : ''}: ${outcome.plan.summary}. Verified: ${outcome.verified.status} — ${outcome.verified.summary}`,
        outcome.verified.status === 'pass' ? 'Normal' : 'Warning',
      );
    if (outcome.outcome === 'applied') {
      this.forgetFinishedRuns();
      // A change that undoes other fixes (a CR patch the operator re-renders from) re-checks them at once.
      const touched = new Set(check.fix?.touches ?? []);
      const affected = this.registry.filter(
        (c) => c.id !== check.id && (c.fix?.undoneBy ?? []).some((t: string) => touched.has(t)),
      );
      if (affected.length) outcome.affected = (await this.run(affected.map((c) => c.id))).checks;
    }
    // Every applied fix is kept in the namespace's history too (the watch records automatic ones itself).
    if (outcome.outcome === 'applied' && !opts.auto)
      await new HistoryStore(this.access.app(), this.appNamespace, ns)
        .append({
          at: new Date().toISOString(),
          runId: `fix:${check.id}`,
          reason: 'fix',
          statuses: { [check.id]: outcome.verified.status },
          transitions: [],
          fixes: [
            {
              check: check.id,
              by: who!,
              auto: false,
              outcome: outcome.outcome,
              verified: outcome.verified.status,
              summary: outcome.plan.summary,
            },
          ],
        })
        .catch(() => undefined); // history is a record, never a reason for a fix to fail
    if (!opts.dryRun) {
      this.fixLog.push({
        checkId,
        at: new Date().toISOString(),
        by: who!,
        outcome: outcome.outcome,
        summary: outcome.plan.summary,
        verifiedStatus: 'verified' in outcome ? outcome.verified.status : undefined,
      });
    }
    return outcome;
  }

  /** Fix every failing check with an automatic fix, in the derived order, as the acting identity. */
  fixAll(opts: {
    dryRun: boolean;
    identity?: Identity;
    onProgress?: (s: string) => void;
    expected?: Record<string, string>;
  }): Promise<FixAllResult> {
    return fixAll(
      {
        registry: this.registry,
        run: (only) => this.run(only),
        fix: (id, o) => this.fix(id, { ...o, identity: opts.identity }),
      },
      opts,
    );
  }

  /**
   * Who acts for an identity, as the API server says (SelfSubjectReview on the identity's own
   * credentials): the one source for the header, a report's `createdBy` and a fix's `by`.
   */
  async actingUser(identity?: Identity): Promise<string> {
    try {
      return (await whoAmI(this.client(identity))).username;
    } catch {
      return identity?.kind === 'token' ? 'forwarded user' : (this.access.kc.getCurrentUser()?.name ?? 'unknown');
    }
  }

  /** SelfSubjectAccessReviews for a fix's permissions, as the acting identity. */
  async fixPermission(checkId: string, identity?: Identity): Promise<FixPermission> {
    const check = this.check(checkId);
    if (!check.fix) return { allowed: false, missing: [] };
    const client = this.client(identity);
    const user = await this.actingUser(identity);
    // Permissions may depend on what the check is about (e.g. the Role a fix would change).
    let subject: unknown;
    try {
      const snapshot = await Snapshot.load(this.access.app(), this.config.namespace, check.needs);
      const down = snapshot.unreachable();
      if (down) throw down;
      subject = check.locate?.(snapshot, this.config);
    } catch (e) {
      // Without the subject some questions are unknown (everything a Role grants): never "allowed".
      return {
        allowed: false,
        missing: [
          {
            permission: `unknown (what this fix would change could not be read: ${errorMessage(e)})`,
            command: 're-run the checks once the cluster answers',
          },
        ],
      };
    }
    const questions: AccessQuestion[] = check.fix.permissions(this.config, subject);
    const answers = await Promise.all(
      questions.map(async (q) => ({ q, a: await canI(client, q).catch(() => ({ allowed: false })) })),
    );
    const missing = answers
      .filter((x) => !x.a.allowed)
      .map(({ q }) => {
        const attempt = {
          verb: q.verb,
          group: q.group,
          resource: q.subresource ? `${q.resource}/${q.subresource}` : q.resource,
          namespace: q.namespace,
          name: q.name,
        };
        return { permission: permissionText(attempt), command: grantCommand(attempt, user) };
      });
    return { allowed: missing.length === 0, missing };
  }

  async clusterInfo(): Promise<{ server: string; version: string; reachable: boolean; error?: string }> {
    const client = this.access.app();
    try {
      const v = await client.request<{ gitVersion?: string }>('GET', '/version', { timeoutMs: 5000 });
      return { server: client.server, version: v.gitVersion ?? 'unknown', reachable: true };
    } catch (err) {
      return { server: client.server, version: 'unknown', reachable: false, error: errorMessage(err) };
    }
  }
}
