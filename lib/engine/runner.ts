import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config';
import { UNREACHABLE, type KubeClient } from '../k8s/client';
import { errorMessage, KubeApiError } from '../k8s/errors';
import { Snapshot, type HeldObjects } from './snapshot';
import { findById, type AnyCheck, type CheckResult, type Finding, type RunResult } from './types';
import { ENGINE_CODES, coded, tuneFinding } from './codes';
import { countResult, emptySummary, verdictOf } from './verdict';

export interface RunOptions {
  client: KubeClient;
  config: EngineConfig;
  registry: readonly AnyCheck[];
  /** Subset of check ids; all when empty. */
  only?: readonly string[];
  /** Called as each result arrives (progress in the UI). */
  onResult?(result: CheckResult, run: RunResult): void;
  signal?: AbortSignal;
  /** Objects already held current (the watch's store): those kinds are not listed again. */
  store?: HeldObjects;
  /**
   * Reads already under way for this run (the CLI starts its lists before the engine loads):
   * adopted when they read the run's namespace as the run's identity, else ignored.
   */
  underway?: Snapshot;
}

/** What a run may be fed instead of listing everything itself. */
export type RunFeed = Pick<RunOptions, 'store' | 'underway'>;

export { verdictOf } from './verdict';

/** A request named checks that do not exist (400, not a server error). */
export class UnknownCheckError extends Error {
  readonly status = 400;
}

export function selectChecks(registry: readonly AnyCheck[], only?: readonly string[]): AnyCheck[] {
  if (!only || only.length === 0) return [...registry];
  const unknown = only.filter((id) => !findById(registry, id));
  if (unknown.length)
    throw new UnknownCheckError(
      // Bounded: ids come from requests; never echo unbounded input.
      `unknown check id(s): ${unknown
        .slice(0, 5)
        .map((id) => JSON.stringify(id.slice(0, 64)))
        .join(
          ', ',
        )}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; known: ${registry.map((c) => c.id).join(', ')}`,
    );
  const wanted = new Set(only.map((id) => findById(registry, id)!.id));
  return registry.filter((c) => wanted.has(c.id));
}

/** A run that has just started: every selected check pending. */
export function newRun(id: string, namespace: string, checks: readonly AnyCheck[]): RunResult {
  return {
    id,
    namespace,
    startedAt: new Date().toISOString(),
    state: 'running',
    summary: emptySummary(),
    verdict: 'incomplete',
    checks: [],
    pending: checks.map((c) => c.id),
    timings: { snapshotMs: 0, totalMs: 0 },
  };
}

/** Said on every run in a namespace that is being deleted: no fix can create anything there. */
export function namespaceNotice(snapshot: Snapshot): string | undefined {
  let ns: { status?: { phase?: string }; metadata?: { deletionTimestamp?: string } } | undefined;
  try {
    ns = snapshot.namespaceObject();
  } catch {
    return undefined; // a read error is left to the checks, as for a missing namespace
  }
  if (ns?.status?.phase !== 'Terminating') return undefined;
  return `namespace ${snapshot.namespace} is being deleted (Terminating${ns.metadata?.deletionTimestamp ? ` since ${ns.metadata.deletionTimestamp}` : ''}): nothing new can be created in it, so fixes that create objects will be refused. Wait until it is gone and install again, or, if the deletion is stuck, see what holds it: oc get namespace ${snapshot.namespace} -o jsonpath='{.status.conditions}'`;
}

/** "namespace X does not exist ..." when the snapshot says so (a read error is left to the checks). */
export function namespaceMissing(snapshot: Snapshot): string | undefined {
  try {
    if (snapshot.namespaceObject()) return undefined;
  } catch {
    return undefined;
  }
  return `namespace ${snapshot.namespace} does not exist: check --namespace (or FD_NAMESPACE) and the kubeconfig context`;
}

/** The namespace read failed for a reason other than "not found" (the network, a 403). */
function namespaceReadFailed(snapshot: Snapshot): boolean {
  try {
    snapshot.namespaceObject();
    return false;
  } catch {
    return true;
  }
}

/** Explains a read failure in the terms of the check that needed it. */
export function describeCheckError(err: unknown): string {
  if (err instanceof KubeApiError) return `could not read the cluster: ${err.message}`;
  return `the check could not run: ${errorMessage(err)}`;
}

export async function withTimeout<T>(
  ms: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(parent?.reason);
  parent?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(ctrl.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ctrl.abort(new Error('timeout'));
          reject(
            new Error(
              `timed out after ${Math.round(ms / 1000)} s; the cluster or a probe is slow. Re-run, or raise checkTimeoutMs in the configuration`,
            ),
          );
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onAbort);
  }
}

export interface Evaluation {
  snapshot: Snapshot;
  subject: unknown;
  probe: unknown;
  finding: Finding;
}

/** locate -> probe -> judge on a loaded snapshot; throws what a step throws (fixes plan from this too). */
export async function evaluate(
  check: AnyCheck,
  snapshot: Snapshot,
  opts: {
    client: KubeClient;
    config: EngineConfig;
    signal: AbortSignal;
    preview?: boolean;
    prefetched?: Promise<unknown>;
  },
): Promise<Evaluation> {
  const { config, client, signal, preview, prefetched } = opts;
  const subject = check.locate ? check.locate(snapshot, config) : undefined;
  const probe = check.probe
    ? await check.probe({ config, snapshot, subject, client, signal, preview, prefetched })
    : undefined;
  return { snapshot, subject, probe, finding: check.judge({ snapshot, subject, probe, config }) };
}

/** The one rule for whether a result offers a fix: used by results (API, CLI, dashboard, reports) and by executeFix. */
export function fixAvailability(
  check: AnyCheck,
  ev: Evaluation | undefined,
  config: EngineConfig,
): { available: boolean; reason?: string } {
  if (!check.fix) return { available: false, reason: 'this check has no automatic fix: follow the manual steps' };
  if (!ev) return { available: false, reason: 'the check could not run, so there is nothing to plan from' };
  const { status } = ev.finding;
  if (status === 'pass') return { available: false, reason: 'nothing to fix: the check passes' };
  if (status === 'skipped') return { available: false, reason: 'nothing to fix: the check does not apply here' };
  if (status === 'error')
    return { available: false, reason: 'the check could not judge the namespace: resolve the error first' };
  const verdict = check.fix.available?.({ ...ev, config }) ?? true;
  return verdict === true ? { available: true } : { available: false, reason: verdict.reason };
}

/** Runs one check against a loaded snapshot; never throws. */
export async function runOneCheck(
  check: AnyCheck,
  snapshot: Snapshot,
  opts: Pick<RunOptions, 'client' | 'config' | 'signal'> & { prefetched?: Promise<unknown> },
): Promise<CheckResult> {
  const started = performance.now();
  let ev: Evaluation | undefined;
  let finding: Finding;
  try {
    ev = await withTimeout(opts.config.checkTimeoutMs, opts.signal, (signal) =>
      evaluate(check, snapshot, { ...opts, signal }),
    );
    finding = ev.finding;
  } catch (err) {
    finding = coded(ENGINE_CODES, 'FD-RUN-001', { reason: describeCheckError(err) }, { evidence: [] });
  }
  return toResult(check, finding, opts.config, performance.now() - started, fixAvailability(check, ev, opts.config));
}

/** The title of a code, from the check's table or the engine's. */
function codeTitle(check: AnyCheck, code: string | undefined): string | undefined {
  if (!code) return undefined;
  return (check.codes[code] ?? (ENGINE_CODES as Record<string, { title: string }>)[code])?.title;
}

/** A finding as the user sees it: tuned by the configuration (severity, suppression), with its explanations. */
export function toResult(
  check: AnyCheck,
  judged: Finding,
  config: EngineConfig,
  durationMs: number,
  fix = fixAvailability(check, undefined, config),
): CheckResult {
  const { finding, defaultSeverity, suppressed, expiredSuppression } = tuneFinding(
    judged,
    config.findings,
    config.namespace,
  );
  const evidence = expiredSuppression
    ? [
        ...finding.evidence,
        {
          label: 'Suppression ended',
          value: `${expiredSuppression.code} was accepted by ${expiredSuppression.by} until ${expiredSuppression.expires} (${expiredSuppression.reason})`,
          tone: 'info' as const,
        },
      ]
    : finding.evidence;
  return {
    id: check.id,
    title: check.title,
    area: check.area,
    status: finding.status,
    summary: finding.summary,
    ...(finding.code ? { code: finding.code, codeTitle: codeTitle(check, finding.code) } : {}),
    ...(defaultSeverity ? { defaultSeverity } : {}),
    ...(suppressed ? { suppressed } : {}),
    evidence,
    symptom: check.explain.symptom,
    rootCause: finding.rootCause ?? check.explain.rootCause,
    manualFix: finding.manualFix ?? check.explain.manualFix(config),
    fix: { ...fix, description: check.fix?.description ?? '' },
    durationMs: Math.round(durationMs),
  };
}

/**
 * One check's start per turn of the event loop, the best-ranked waiting one first: between two
 * checks' CPU work (locate, the start of a probe) the answers that have arrived are read and the
 * requests made are sent, so a large list still arriving, or a probe's requests, do not wait for
 * every other check; a check whose list arrives late still goes before those that only judge.
 */
function turns(): (rank: number) => Promise<void> {
  const waiting: Array<{ rank: number; go: () => void }> = [];
  let scheduled = false;
  const schedule = () => {
    if (scheduled || !waiting.length) return;
    scheduled = true;
    // An immediate queued while immediates run waits for the next turn, after I/O.
    setImmediate(() => {
      scheduled = false;
      let best = 0;
      for (let i = 1; i < waiting.length; i++) if (waiting[i]!.rank < waiting[best]!.rank) best = i;
      waiting.splice(best, 1)[0]!.go();
      schedule();
    });
  };
  return (rank) =>
    new Promise<void>((go) => {
      waiting.push({ rank, go });
      schedule();
    });
}

/** 0: a probe that reads the API server after the lists (what it reads could not be asked up front
 * with them: logs, the probe pod); 1: another probe (HTTP, or prefetched reads); 2: judge only. */
const startRank = (check: AnyCheck) => (check.probePermissions && !check.prefetch ? 0 : check.probe ? 1 : 2);

/** Loads one snapshot for all selected checks, then runs them concurrently, each isolated. */
export async function runChecks(opts: RunOptions, runId: string = randomUUID()): Promise<RunResult> {
  const checks = selectChecks(opts.registry, opts.only);
  const t0 = performance.now();
  const run = newRun(runId, opts.config.namespace, checks);
  // The namespace itself is always read: a namespace that does not exist is one clear answer,
  // not a check-by-check guess (and it is read in the same parallel round as everything else).
  // First: the answer every check waits for.
  const needs = new Set(['namespaces' as const, ...checks.flatMap((c) => c.needs)]);
  const snapshot =
    opts.underway?.continueFor(opts.client, opts.config.namespace, needs, opts.signal) ??
    Snapshot.start(opts.client, opts.config.namespace, needs, opts.signal, opts.store);
  // Questions the configuration already names go out with the lists (one round, not two).
  const prefetched = new Map(
    checks.flatMap((c) => {
      if (!c.prefetch) return [];
      const signal = opts.signal ?? new AbortController().signal;
      const answer = c.prefetch({ config: opts.config, client: opts.client, signal });
      answer.catch(() => undefined); // a probe that never looks must not leave it unhandled
      return [[c.id, answer] as const];
    }),
  );
  const loaded = snapshot.ready().then(() => (run.timings.snapshotMs = Math.round(performance.now() - t0)));
  // The namespace decides whether the run can go on: missing is one answer for every check; a read
  // the network refused waits for the rest, to tell "the API server is down" from one failed read.
  await snapshot.ready(['namespaces']);
  if (namespaceReadFailed(snapshot)) await loaded;
  const down = snapshot.unreachable();
  const missing = down
    ? down.message.startsWith(UNREACHABLE)
      ? down.message
      : `${UNREACHABLE}: ${down.message}`
    : namespaceMissing(snapshot);
  if (missing) {
    for (const check of checks) {
      const finding = coded(ENGINE_CODES, 'FD-RUN-002', { reason: missing }, { evidence: [] });
      const result = toResult(check, finding, opts.config, 0);
      run.checks.push(result);
      countResult(run.summary, result);
      opts.onResult?.(result, run);
    }
    return {
      ...run,
      pending: [],
      state: 'done',
      finishedAt: new Date().toISOString(),
      verdict: 'incomplete',
      error: missing,
      timings: { ...run.timings, totalMs: Math.round(performance.now() - t0) },
    };
  }
  run.notice = namespaceNotice(snapshot);
  // Each check starts when its own reads are in, not after the slowest list of the run, in a turn
  // of the event loop of its own. Of those waiting, those whose probes send more requests start
  // first, so the requests go out before the others' CPU work: first the probes that read the API
  // server (the farthest answers), then the other probes, then the checks that only judge (startRank).
  const turn = turns();
  await Promise.all(
    checks.map(async (check) => {
      await snapshot.ready(check.needs);
      await turn(startRank(check));
      const result = await runOneCheck(check, snapshot, { ...opts, prefetched: prefetched.get(check.id) });
      run.checks.push(result);
      run.pending = run.pending.filter((id) => id !== check.id);
      countResult(run.summary, result);
      opts.onResult?.(result, run);
    }),
  );
  await loaded;
  // Stable order for reports: registry order.
  run.checks.sort((a, b) => checks.findIndex((c) => c.id === a.id) - checks.findIndex((c) => c.id === b.id));
  run.state = 'done';
  run.finishedAt = new Date().toISOString();
  run.verdict = verdictOf(run.summary);
  run.timings.totalMs = Math.round(performance.now() - t0);
  return run;
}
