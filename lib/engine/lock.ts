import os from 'node:os';
import type { KubeClient } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES } from '../k8s/resources';
import { FixConflictError } from './fix-errors';

const LEASE_SECONDS = 300;
/** The locks this process holds right now (by lease name). */
const held = new Set<string>();

/** A holder on this host whose process is gone (a CLI killed midway) need not be waited for. */
export function holderIsDead(holder: string | undefined, host = os.hostname()): boolean {
  const m = holder?.match(/\((.+) pid (\d+)\)$/);
  if (!m || m[1] !== host) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * One fix per check and namespace at a time, across processes and replicas: a coordination.k8s.io
 * Lease created for the fix (create is atomic: the second creator gets 409). A lease left by a
 * process that died is taken over once it has expired; the holder deletes it when done.
 */
export async function withFixLock<T>(
  client: KubeClient,
  namespace: string,
  checkId: string,
  who: string,
  fn: () => Promise<T>,
): Promise<T> {
  const name = `flywheel-doctor-fix-${checkId}`.slice(0, 253);
  const holder = `${who} (${os.hostname()} pid ${process.pid})`.slice(0, 250);
  const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'); // MicroTime
  const lease = (rv?: string): KObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(rv ? { resourceVersion: rv } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'flywheel-doctor' },
    },
    spec: { holderIdentity: holder, leaseDurationSeconds: LEASE_SECONDS, acquireTime: now(), renewTime: now() },
  });
  try {
    await client.create(RESOURCES.leases, namespace, lease());
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
    const current = await client.get<KObject>(RESOURCES.leases, namespace, name);
    const renewed = Date.parse(current.spec?.renewTime ?? current.spec?.acquireTime ?? '');
    const expired =
      !Number.isFinite(renewed) ||
      renewed + (current.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < Date.now() ||
      holderIsDead(current.spec?.holderIdentity) ||
      // Ours, but not held: this process lost the API server before it could release it.
      (current.spec?.holderIdentity?.endsWith(`(${os.hostname()} pid ${process.pid})`) && !held.has(name));
    if (!expired) {
      throw new FixConflictError(
        `not applied: another fix of ${checkId} is running in ${namespace} (by ${current.spec?.holderIdentity ?? 'someone'} since ${current.spec?.acquireTime ?? '?'}); wait for it to finish, then re-run the check`,
      );
    }
    // Taken over from a holder that died; replacing with its resourceVersion fails if another process won.
    await client
      .request(
        'PUT',
        `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`,
        {
          body: lease(current.metadata?.resourceVersion),
        },
      )
      .catch((e: unknown) => {
        if (e instanceof KubeApiError && e.isConflict)
          throw new FixConflictError(
            `not applied: another fix of ${checkId} just started in ${namespace}; re-run the check`,
          );
        throw e;
      });
  }
  held.add(name);
  try {
    return await fn();
  } finally {
    held.delete(name);
    await client.delete(RESOURCES.leases, namespace, name).catch(() => undefined);
  }
}
