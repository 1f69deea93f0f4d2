import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckStatus, RunResult } from './engine/types';

// `suppressed`: a finding the configuration accepted is 1 there, not under its status, so alerts on
// status="fail" stay quiet for it (flywheel_doctor_suppressed_findings counts them per namespace).
const STATUSES: Array<CheckStatus | 'suppressed'> = ['pass', 'warn', 'fail', 'error', 'skipped', 'suppressed'];

/** The doctor's Prometheus metrics (served at /api/metrics); one registry per process. */
export class DoctorMetrics {
  readonly registry = new Registry();
  private readonly checkStatus = new Gauge({
    name: 'flywheel_doctor_check_status',
    help: 'Latest status of each check: 1 for the status it has, 0 for the others',
    labelNames: ['namespace', 'check', 'status'],
    registers: [this.registry],
  });
  private readonly suppressed = new Gauge({
    name: 'flywheel_doctor_suppressed_findings',
    help: "Whether each check's latest finding is accepted in the configuration (findings.suppress): 1 suppressed, 0 shown; sum by namespace for the count",
    labelNames: ['namespace', 'check', 'code'],
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: 'flywheel_doctor_run_duration_seconds',
    help: 'Duration of a run of checks',
    labelNames: ['namespace'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly runs = new Counter({
    name: 'flywheel_doctor_runs_total',
    help: 'Runs finished, by what started them',
    labelNames: ['namespace', 'reason'],
    registers: [this.registry],
  });
  private readonly fixes = new Counter({
    name: 'flywheel_doctor_fixes_total',
    help: 'Fixes attempted, by outcome (applied, noop, failed) and whether automatic',
    labelNames: ['namespace', 'check', 'outcome', 'auto'],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'flywheel_doctor_last_successful_run_timestamp_seconds',
    help: 'When the last run that could judge every check finished (no error)',
    labelNames: ['namespace'],
    registers: [this.registry],
  });
  // A labelled gauge has no sample until it is set: without this, "has not completed a run for an
  // hour" could not fire before the first success (the rule falls back to when the watch started).
  private readonly watchStarted = new Gauge({
    name: 'flywheel_doctor_watch_started_timestamp_seconds',
    help: 'When this process started watching the namespace (the alert on no successful run counts from here)',
    labelNames: ['namespace'],
    registers: [this.registry],
  });
  private readonly reconnects = new Counter({
    name: 'flywheel_doctor_watch_reconnects_total',
    help: 'Watches re-established (the server ended them, or 410 Gone forced a re-list)',
    labelNames: ['namespace', 'resource', 'cause'],
    registers: [this.registry],
  });

  private readonly unlabelled = new Counter({
    name: 'flywheel_doctor_runs_unlabelled_total',
    help: 'Runs kept out of the per-namespace series: the namespace does not exist or the API server did not answer (for a namespace never judged), or more namespaces than the series limit',
    labelNames: ['cause'],
    registers: [this.registry],
  });
  /** Namespaces with series, at most MAX_NAMESPACES: any valid name can be asked for. */
  private readonly labelled = new Set<string>();
  static readonly MAX_NAMESPACES = 50;

  /** Whether a namespace may have (or already has) series of its own. */
  private admit(namespace: string, exists: boolean): boolean {
    if (this.labelled.has(namespace)) return true;
    if (!exists) {
      this.unlabelled.inc({ cause: 'namespace-not-judged' });
      return false;
    }
    if (this.labelled.size >= DoctorMetrics.MAX_NAMESPACES) {
      this.unlabelled.inc({ cause: 'namespace-limit' });
      return false;
    }
    this.labelled.add(namespace);
    return true;
  }

  private readonly autoFixStoppedGauge = new Gauge({
    name: 'flywheel_doctor_autofix_stopped',
    help: 'Auto-fix of a check stopped because its fix did not stick twice in a row (1 while stopped)',
    labelNames: ['namespace', 'check'],
    registers: [this.registry],
  });

  autoFixStopped(namespace: string, check: string): void {
    this.autoFixStoppedGauge.set({ namespace, check }, 1);
  }

  recordRun(run: RunResult, reason = 'request'): void {
    if (run.state !== 'done') return;
    // A run that could not start (missing namespace, API down) adds series only for a namespace
    // already judged once: 1,150 runs for made-up names once made 26,450 series.
    if (!this.admit(run.namespace, !run.error)) return;
    for (const c of run.checks) {
      const shown = c.suppressed ? 'suppressed' : c.status;
      for (const s of STATUSES)
        this.checkStatus.set({ namespace: run.namespace, check: c.id, status: s }, shown === s ? 1 : 0);
    }
    for (const c of run.checks) this.recordCode(run.namespace, c.id, c.code, !!c.suppressed);
    this.runDuration.observe({ namespace: run.namespace }, run.timings.totalMs / 1000);
    this.runs.inc({ namespace: run.namespace, reason });
    if (!run.error && !run.checks.some((c) => c.status === 'error'))
      this.lastSuccess.set({ namespace: run.namespace }, Date.parse(run.finishedAt ?? '') / 1000 || Date.now() / 1000);
  }

  /** The code each check last had: a series for a code the check no longer reports is removed. */
  private readonly lastCode = new Map<string, string>();

  private recordCode(namespace: string, check: string, code: string | undefined, suppressed: boolean): void {
    const key = `${namespace}\0${check}`;
    const before = this.lastCode.get(key);
    if (before && before !== code) this.suppressed.remove({ namespace, check, code: before });
    if (!code) {
      this.lastCode.delete(key);
      return;
    }
    this.lastCode.set(key, code);
    this.suppressed.set({ namespace, check, code }, suppressed ? 1 : 0);
  }

  recordFix(namespace: string, check: string, outcome: string, auto: boolean): void {
    if (!this.admit(namespace, outcome !== 'failed')) return;
    this.fixes.inc({ namespace, check, outcome, auto: String(auto) });
  }

  startedWatching(namespace: string): void {
    this.watchStarted.set({ namespace }, Date.now() / 1000);
  }

  watchReconnect(namespace: string, resource: string, cause: 'ended' | 'gone' | 'error'): void {
    this.reconnects.inc({ namespace, resource, cause });
  }
}

/**
 * The process's metrics: every Doctor and monitor records here. One instance per process, kept on
 * globalThis: Next.js bundles the instrumentation hook (the watch) and each route separately, and
 * a module-level instance per bundle meant the watch recorded into a registry /api/metrics never served.
 */
const g = globalThis as unknown as { __flywheelDoctorMetrics?: DoctorMetrics };
export const metrics: DoctorMetrics = (g.__flywheelDoctorMetrics ??= new DoctorMetrics());
