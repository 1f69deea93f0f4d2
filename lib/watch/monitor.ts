import type { HeldObjects } from '../engine/snapshot';
import { setMaxListeners } from 'node:events';
import type { Doctor } from '../engine/doctor';
import type { AnyCheck, CheckStatus, RunResult } from '../engine/types';
import { errorMessage, KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES, type ResourceName } from '../k8s/resources';
import { metrics } from '../metrics';
import { lastWriter, objectDiff } from './diff';
import { HistoryStore, type HistoryEntry, type Trigger } from './history';
import type { LeaderLease } from './leader';
import { AutoFixLimiter, type AutoFixLimits } from './autofix-limit';

export interface MonitorOptions {
  /** The doctor of the watched namespace (its configuration names the namespace). */
  doctor: Doctor;
  history: HistoryStore;
  /** Bursts of changes within this window become one run (default 1 s). */
  debounceMs?: number;
  /**
   * A burst runs at the latest this long after its first change (default 5 s), so endless churn
   * (an annotation every 0.4 s) cannot postpone the run that would see a real regression.
   */
  maxWaitMs?: number;
  /** Full runs, probes included, every this many ms; 0 = none. */
  scheduleMs?: number;
  /** Checks whose fix is applied on regression (off unless listed). */
  autoFix?: readonly string[];
  /** Auto-fixes whose plan restarts workloads are skipped unless this is set. */
  autoFixRestarts?: boolean;
  /** Rate limits of auto-fix (default: 3 per check per hour, stop after 2 fixes that did not stick). */
  autoFixLimits?: AutoFixLimits;
  onEntry?: (e: HistoryEntry) => void;
  log?: (m: string) => void;
}

const isRegression = (from: CheckStatus | undefined, to: CheckStatus) =>
  from === 'pass' && (to === 'fail' || to === 'warn' || to === 'error');

/**
 * Watches the objects the checks read in one namespace (list, then watch from its resourceVersion
 * with bookmarks; re-list on 410 Gone), re-runs the checks a change can affect (bursts coalesced
 * into one run), keeps the history with what changed and who changed it, and applies opted-in
 * fixes on regression. Checks whose probe starts a pod run only on the schedule.
 */
export class NamespaceMonitor {
  private readonly abort = new AbortController();
  /** The objects each watched kind holds, by name. */
  private readonly known = new Map<ResourceName, Map<string, KObject>>();
  /** Kinds whose objects `known` holds current (listed, then watched), or that are not installed. */
  private readonly live = new Map<ResourceName, 'listed' | 'not-installed'>();
  private pending: (Batch & { since: number }) | undefined;
  /**
   * A change nothing controls (a CR, a ConfigMap someone edited) whose run moved no status yet: a
   * controller may still be rendering it (the operator's Deployment), and that change names it.
   */
  private unrecordedCause: Trigger | undefined;
  private timer?: NodeJS.Timeout;
  private schedule?: NodeJS.Timeout;
  private last: Record<string, CheckStatus> = {};
  private running: Promise<void> = Promise.resolve();
  private readonly log: (m: string) => void;
  private readonly limiter: AutoFixLimiter;

  constructor(private readonly opts: MonitorOptions) {
    this.log = opts.log ?? (() => undefined);
    this.limiter = new AutoFixLimiter(opts.autoFixLimits);
    // One signal ends every watch of this namespace (one per kind), each listening on it.
    setMaxListeners(0, this.abort.signal);
  }

  get namespace(): string {
    return this.opts.doctor.config.namespace;
  }

  private get registry(): readonly AnyCheck[] {
    return this.opts.doctor.registry;
  }

  async start(): Promise<void> {
    const previous = await this.opts.history.load().catch(() => []);
    this.last = previous.at(-1)?.statuses ?? {};
    metrics.startedWatching(this.namespace);
    // Events are read by each run, never watched: every pod start writes several, and a change that
    // matters (a Secret gone, a CR patched) arrives as the object's own change.
    const kinds = [...new Set(this.registry.flatMap((c) => c.needs as ResourceName[]))].filter(
      (k) => RESOURCES[k].namespaced && k !== 'events',
    );
    // Changes are seen from here on: every kind is listed before the first run, which then fills
    // the metrics and the history without waiting for a change or the schedule.
    await Promise.all(kinds.map((kind) => new Promise<void>((listed) => void this.watchKind(kind, listed))));
    this.running = this.running.then(() => this.runAndRecord(undefined, 'start'));
    await this.running;
    if (this.opts.scheduleMs) {
      const tick = () => {
        this.running = this.running.then(() => this.runAndRecord(undefined, 'schedule'));
        this.schedule = setTimeout(tick, this.opts.scheduleMs);
      };
      this.schedule = setTimeout(tick, this.opts.scheduleMs);
    }
  }

  stop(): void {
    this.abort.abort();
    clearTimeout(this.timer);
    clearTimeout(this.schedule);
  }

  /** Waits until the runs started so far have been recorded (tests, shutdown). */
  idle(): Promise<void> {
    return this.running;
  }

  private async watchKind(kind: ResourceName, listed: () => void): Promise<void> {
    const type = RESOURCES[kind];
    const client = this.opts.doctor.client();
    const signal = this.abort.signal;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (!rv) {
          const list = await client.list<KObject>(type, this.namespace, { signal });
          // A re-list replaces the kind: objects deleted while no watch was open must go too.
          this.known.set(kind, new Map(list.items.map((o) => [o.metadata?.name ?? '', observed(kind, o)])));
          rv = list.metadata?.resourceVersion ?? '0';
          this.live.set(kind, 'listed');
          listed();
        }
        const result = await client.watchObject<KObject>(
          type,
          this.namespace,
          undefined,
          rv,
          (obj, event) => {
            rv = obj.metadata?.resourceVersion ?? rv;
            this.onChange(kind, event, observed(kind, obj));
            return false;
          },
          { timeoutSeconds: 300, signal },
        );
        if (signal.aborted) return;
        metrics.watchReconnect(this.namespace, type.plural, result === 'gone' ? 'gone' : 'ended');
        if (result === 'gone') {
          rv = undefined; // too old: list again, and until then runs list this kind themselves
          this.live.delete(kind);
        }
      } catch (e) {
        if (signal.aborted) return listed();
        // A kind that is not installed (CRD missing) has nothing to watch.
        if (e instanceof KubeApiError && e.isNotFound) {
          this.live.set(kind, 'not-installed');
          return listed();
        }
        this.live.delete(kind);
        metrics.watchReconnect(this.namespace, type.plural, 'error');
        this.log(`watch ${type.plural} in ${this.namespace}: ${errorMessage(e)}; retrying`);
        listed(); // start() does not wait for a kind the API refuses; it is retried below
        rv = undefined;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  /**
   * The store runs triggered here read instead of listing again: current by construction, since a
   * change is stored before the run it triggers is scheduled. Kinds between a lost watch and its
   * re-list are not answered (the run lists them).
   */
  readonly store: HeldObjects = {
    held: (kind) => {
      const state = this.live.get(kind);
      if (!state) return undefined;
      if (state === 'not-installed') return { items: [], notInstalled: true };
      return { items: [...(this.known.get(kind)?.values() ?? [])] };
    },
  };

  private onChange(kind: ResourceName, event: string, obj: KObject): void {
    const name = obj.metadata?.name ?? '';
    const objects = this.known.get(kind) ?? this.known.set(kind, new Map()).get(kind)!;
    const before = objects.get(name);
    if (event === 'DELETED') objects.delete(name);
    else objects.set(name, obj);
    // Our own short-lived objects (probe pods, stored reports and history) are not changes to the install.
    if (
      (kind === 'pods' || kind === 'configmaps') &&
      obj.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'flywheel-doctor'
    )
      return;
    const diff = objectDiff(before, event === 'DELETED' ? undefined : obj);
    // Status-only updates (pods heartbeat, rollouts progressing) matter to pod checks, not as a trigger to report.
    if (!diff.length && kind !== 'pods' && kind !== 'deployments') return;
    const writer = lastWriter(obj);
    const trigger: Trigger = {
      kind: RESOURCES[kind].kind,
      name: obj.metadata?.name ?? '?',
      event,
      changedBy: writer?.manager,
      changedAt: writer?.time,
      diff,
    };
    this.pending ??= { kinds: new Set(), since: Date.now() };
    this.pending.kinds.add(kind);
    // The first change with a real diff names the burst; status churn does not. A change someone
    // made (to an object no controller owns) names it before a controller's response, which the
    // watches of other kinds may deliver first.
    const owner = controllerOf(obj);
    if (diff.length && (!this.pending.trigger || (this.pending.triggerOwner && !owner))) {
      this.pending.trigger = trigger;
      this.pending.triggerOwner = owner;
    }
    clearTimeout(this.timer);
    const debounce = this.opts.debounceMs ?? 1000;
    const deadline = this.pending.since + (this.opts.maxWaitMs ?? 5 * debounce);
    this.timer = setTimeout(
      () => {
        const batch = this.pending!;
        this.pending = undefined;
        this.running = this.running.then(() => this.runAndRecord(batch, 'change'));
      },
      Math.max(0, Math.min(debounce, deadline - Date.now())),
    );
  }

  private async runAndRecord(batch: Batch | undefined, reason: HistoryEntry['reason']): Promise<void> {
    if (this.abort.signal.aborted) return;
    const checks = batch
      ? this.registry.filter((c) => !c.runsPods && c.needs.some((k: ResourceName) => batch.kinds.has(k)))
      : [...this.registry];
    if (!checks.length) return;
    let run: RunResult;
    try {
      run = await this.opts.doctor.run(
        checks.map((c) => c.id),
        'fresh',
        { store: this.store },
      );
    } catch (e) {
      this.log(`run in ${this.namespace}: ${errorMessage(e)}`);
      return;
    }
    const statuses = Object.fromEntries(run.checks.map((c) => [c.id, c.status])) as Record<string, CheckStatus>;
    const transitions = run.checks
      .filter((c) => this.last[c.id] !== c.status)
      .map((c) => ({ check: c.id, from: this.last[c.id], to: c.status }));
    this.last = { ...this.last, ...statuses };
    const fixes: NonNullable<HistoryEntry['fixes']> = [];
    // A stopped watch starts no fix: a run already under way records what it saw, nothing more.
    // A finding the configuration accepted (suppressed) is not fixed automatically either.
    const accepted = new Set(run.checks.filter((c) => c.suppressed).map((c) => c.id));
    const toFix = transitions.filter(
      (x) => isRegression(x.from, x.to) && this.opts.autoFix?.includes(x.check) && !accepted.has(x.check),
    );
    for (const t of toFix) if (!this.abort.signal.aborted) fixes.push(await this.autoFix(t.check));
    for (const f of fixes) if (f.verified) this.last[f.check] = f.verified;
    const trigger = this.causeOf(batch);
    if (reason === 'change' && !transitions.length && !fixes.length) {
      // Nothing to remember yet; what someone changed may still take effect through a controller.
      if (batch?.trigger && !batch.triggerOwner) this.unrecordedCause = batch.trigger;
      return;
    }
    this.unrecordedCause = undefined;
    const entry: HistoryEntry = {
      at: new Date().toISOString(),
      runId: run.id,
      reason,
      trigger,
      statuses: { ...this.last },
      transitions,
      ...(fixes.length ? { fixes } : {}),
    };
    await this.opts.history.append(entry).catch((e) => this.log(`history ${this.namespace}: ${errorMessage(e)}`));
    this.opts.onEntry?.(entry);
  }

  /** A burst a controller made in response to an earlier change is named by that change. */
  private causeOf(batch: Batch | undefined): Trigger | undefined {
    const cause = this.unrecordedCause;
    const owner = batch?.triggerOwner;
    if (!cause || !owner || owner.kind !== cause.kind || owner.name !== cause.name) return batch?.trigger;
    const made = batch.trigger!;
    return { ...cause, then: { kind: made.kind, name: made.name, changedBy: made.changedBy } };
  }

  private async autoFix(checkId: string): Promise<NonNullable<HistoryEntry['fixes']>[number]> {
    const d = this.opts.doctor;
    const refused = this.limiter.refusal(checkId);
    if (refused) {
      if (refused.stopped) {
        metrics.autoFixStopped(this.namespace, checkId);
        this.log(`${this.namespace}: ${refused.reason}`);
      }
      return {
        check: checkId,
        by: 'flywheel-doctor',
        auto: true,
        outcome: refused.stopped ? 'stopped' : 'skipped',
        summary: refused.reason,
      };
    }
    try {
      const preview = await d.fix(checkId, { dryRun: true });
      if (!this.opts.autoFixRestarts && preview.plan.changes.some((c) => c.action === 'restart'))
        return {
          check: checkId,
          by: 'flywheel-doctor',
          auto: true,
          outcome: 'skipped',
          summary: 'not applied automatically: the fix restarts workloads (allow with autoFixRestarts)',
        };
      const out = await d.fix(checkId, {
        dryRun: false,
        expectedGuards: preview.plan.guards,
        expectedFingerprint: preview.plan.fingerprint,
        auto: true,
      });
      this.limiter.applied(checkId, 'verified' in out ? out.verified.status : undefined);
      return {
        check: checkId,
        by: await d.actingUser(),
        auto: true,
        outcome: out.outcome,
        verified: 'verified' in out ? out.verified.status : undefined,
        summary: out.plan.summary,
      };
    } catch (e) {
      this.limiter.applied(checkId, undefined); // a fix that failed did not stick either
      return { check: checkId, by: 'flywheel-doctor', auto: true, outcome: 'failed', summary: errorMessage(e) };
    }
  }
}

/**
 * One schedule across replicas: only the replica holding the leader Lease runs the namespace
 * monitors; the others serve the UI and take over when the lease is not renewed.
 */
export class Monitor {
  private readonly monitors: NamespaceMonitor[] = [];
  private timer?: NodeJS.Timeout;
  private active = false;

  constructor(
    private readonly lease: LeaderLease,
    private readonly make: () => NamespaceMonitor[],
  ) {}

  get leading(): boolean {
    return this.active;
  }

  get namespaceMonitors(): readonly NamespaceMonitor[] {
    return this.monitors;
  }

  start(): void {
    const tick = async () => {
      const leader = await this.lease.tryAcquire();
      if (leader && !this.active) {
        this.active = true;
        this.monitors.push(...this.make());
        for (const m of this.monitors) void m.start();
      } else if (!leader && this.active) this.stopMonitors();
      this.timer = setTimeout(() => void tick(), (this.lease.durationSeconds * 1000) / 3);
    };
    void tick();
  }

  private stopMonitors(): void {
    this.active = false;
    for (const m of this.monitors.splice(0)) m.stop();
  }

  /** Stops renewing (and, unless `crash`, releases the lease so another replica leads at once). */
  async stop(crash = false): Promise<void> {
    clearTimeout(this.timer);
    this.stopMonitors();
    if (!crash) await this.lease.release();
  }
}

/** Changes coalesced into one run. */
interface Batch {
  kinds: Set<ResourceName>;
  trigger?: Trigger;
  /** The controller of the object that names the burst, when one owns it. */
  triggerOwner?: { kind: string; name: string };
  since?: number;
}

function controllerOf(obj: KObject): { kind: string; name: string } | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller);
  return ref && { kind: ref.kind, name: ref.name };
}

/**
 * What the watch keeps of an object: what a snapshot keeps (`ResourceType.keep`: a Secret's names and
 * key sizes, never its values), so no value can reach a diff, the history or the dashboard.
 */
export function observed(kind: ResourceName, obj: KObject): KObject {
  return RESOURCES[kind].keep?.(obj) ?? obj;
}
