import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import type { KubeClient } from '../k8s/client';
import { errorMessage, KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES } from '../k8s/resources';
import { FixConflictError } from './fix-errors';

/** Long enough for a slow API call, short enough that a dead holder blocks nobody for long: renewed while held. */
export const LEASE_SECONDS = 120;
const RENEW_MS = (LEASE_SECONDS * 1000) / 4;
/** Tells this process from an earlier one with the same pid (pid 1 in a restarted container). */
const BOOT = randomBytes(4).toString('hex');
/** This process, as named in the Leases it holds and on the pods it starts. */
export const PROCESS_TAG = `${os.hostname()} pid ${process.pid} boot ${BOOT}`;
export const LOCK_LABEL = 'flywheel-doctor.dev/lock';
const LOCK_KEY = 'flywheel-doctor.dev/lock-key';

/** The locks this process holds right now (by lease name). */
const held = new Set<string>();
/**
 * Leases this process is taking right now (a create or takeover in flight), counted: the Lease may
 * already be on the server while this process does not hold it yet, and another fix's sweep of
 * leftovers running meanwhile must not take it for one and delete it.
 */
const acquiring = new Map<string, number>();

/**
 * Whether the process named in a holder or creator tag ("… (host pid N boot B)") is gone: only
 * decidable on the same host; same pid with another boot id is a later life of that pid.
 */
export function holderIsDead(holder: string | undefined, host = os.hostname()): boolean {
  const m = holder?.match(/\((\S+) pid (\d+)(?: boot ([0-9a-f]+))?\)$/);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return m[3] !== undefined && m[3] !== BOOT;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether a Lease of ours may be taken over or removed: expired, or its holder is gone.
 * `ownAttempts`: the caller's own attempts on it that `acquiring` counts (acquire asks about the
 * Lease it is itself trying to take).
 */
export function leaseIsStale(lease: KObject, now = Date.now(), ownAttempts = 0): boolean {
  const spec = lease.spec ?? {};
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  const holder: string | undefined = spec.holderIdentity;
  const name = lease.metadata?.name ?? '';
  return (
    !Number.isFinite(renewed) ||
    renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < now ||
    holderIsDead(holder) ||
    // Ours, but neither held nor being taken: this process lost the API server before it could
    // release it.
    (!!holder?.endsWith(`(${PROCESS_TAG})`) && !held.has(name) && (acquiring.get(name) ?? 0) <= ownAttempts)
  );
}

/** The Lease that locks one key ("fix <check>", or an object such as "ConfigMap ns/name"). */
export const lockName = (key: string) =>
  `flywheel-doctor-lock-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;

const microTime = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const leasePath = (ns: string, name: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases/${encodeURIComponent(name)}`;

interface HeldLock {
  key: string;
  name: string;
  rv: string;
  lease: KObject;
}

export interface LockOptions {
  /** What the lock could not do that the user should know (a lost lease, a release that failed). */
  note?(message: string): void;
  /** How often held Leases are renewed (a quarter of their duration unless said). */
  renewMs?: number;
}

/**
 * Locks on the objects a fix touches (and on the check itself), across processes and replicas:
 * one coordination.k8s.io Lease per key, created atomically (the second creator gets 409), taken
 * in sorted order so two fixes never wait on each other, renewed while the fix works, and released
 * only if still ours (a delete guarded by the Lease's resourceVersion). A Lease whose holder died
 * or stopped renewing is taken over.
 */
export async function withLocks<T>(
  client: KubeClient,
  namespace: string,
  keys: readonly string[],
  who: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const holder = `${who.slice(0, 120)} (${PROCESS_TAG})`;
  const locks: HeldLock[] = [];
  try {
    for (const key of [...new Set(keys)].sort()) locks.push(await acquire(client, namespace, key, holder));
  } catch (e) {
    await release(client, namespace, locks, opts);
    throw e;
  }
  const timer = setInterval(() => void renew(client, namespace, locks, opts), opts.renewMs ?? RENEW_MS);
  timer.unref?.();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await release(client, namespace, locks, opts);
  }
}

function busy(key: string, namespace: string, current: KObject): FixConflictError {
  const by = `by ${current.spec?.holderIdentity ?? 'someone'} since ${current.spec?.acquireTime ?? '?'}`;
  const fix = key.match(/^fix (.+)$/)?.[1];
  return new FixConflictError(
    fix
      ? `not applied: another fix of ${fix} is running in ${namespace} (${by}); wait for it to finish, then re-run the check`
      : `not applied: another fix is changing ${key} (${by}); nothing was changed. Wait for it to finish, then re-run the check and review the new plan`,
  );
}

async function acquire(client: KubeClient, namespace: string, key: string, holder: string): Promise<HeldLock> {
  const name = lockName(key);
  const body = (rv?: string): KObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(rv ? { resourceVersion: rv } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'flywheel-doctor', [LOCK_LABEL]: 'true' },
      annotations: { [LOCK_KEY]: key.slice(0, 500) },
    },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: microTime(),
      renewTime: microTime(),
    },
  });
  let lease: KObject;
  acquiring.set(name, (acquiring.get(name) ?? 0) + 1);
  try {
    try {
      lease = await client.create<KObject>(RESOURCES.leases, namespace, body());
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isConflict)) throw err;
      const current = await client.get<KObject>(RESOURCES.leases, namespace, name);
      if (!leaseIsStale(current, Date.now(), 1)) throw busy(key, namespace, current);
      // Taken over; replacing with its resourceVersion fails if another process won the same race.
      lease = await client
        .request<KObject>('PUT', leasePath(namespace, name), { body: body(current.metadata?.resourceVersion) })
        .catch((e: unknown) => {
          if (e instanceof KubeApiError && e.isConflict) throw busy(key, namespace, current);
          throw e;
        });
    }
    held.add(name); // before the attempt stops counting: never neither held nor being taken
  } finally {
    const left = (acquiring.get(name) ?? 1) - 1;
    if (left > 0) acquiring.set(name, left);
    else acquiring.delete(name);
  }
  return { key, name, rv: lease.metadata?.resourceVersion ?? '', lease };
}

async function renew(client: KubeClient, namespace: string, locks: HeldLock[], opts: LockOptions) {
  for (const l of locks) {
    if (!l.rv) continue;
    const next: KObject = {
      ...l.lease,
      metadata: { ...l.lease.metadata, resourceVersion: l.rv },
      spec: { ...l.lease.spec, renewTime: microTime() },
    };
    try {
      const saved = await client.request<KObject>('PUT', leasePath(namespace, l.name), { body: next });
      l.rv = saved.metadata?.resourceVersion ?? l.rv;
      l.lease = saved;
    } catch (e) {
      if (e instanceof KubeApiError && (e.isConflict || e.isNotFound)) {
        opts.note?.(`the lock on ${l.key} was taken over by another process while this fix ran`);
        l.rv = ''; // not ours any more: neither renewed nor released
      } // other errors: tried again at the next interval, within the lease's duration
    }
  }
}

async function release(client: KubeClient, namespace: string, locks: HeldLock[], opts: LockOptions) {
  await Promise.all(
    locks.map(async (l) => {
      held.delete(l.name);
      if (!l.rv) return;
      for (let attempt = 0; ; attempt++) {
        try {
          await client.delete(RESOURCES.leases, namespace, l.name, { resourceVersion: l.rv });
          return;
        } catch (e) {
          // 409: no longer ours (taken over after it expired); 404: already gone.
          if (e instanceof KubeApiError && (e.isConflict || e.isNotFound)) return;
          if (attempt >= 2) {
            opts.note?.(
              `could not release the lock on ${l.key} (Lease ${l.name} in ${namespace}: ${errorMessage(e)}); it expires by itself within ${LEASE_SECONDS} s, and the next fix removes it`,
            );
            return;
          }
          await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
        }
      }
    }),
  );
}

/** The objects a plan locks: every one it changes or guards (targets name them: "Kind ns/name"). */
export function objectKeys(plan: { changes: Array<{ target: string }>; guards: Array<{ target: string }> }) {
  return [...plan.changes.map((c) => c.target), ...plan.guards.map((g) => g.target)];
}
