import type { KubeClient } from '../k8s/client';
import { errorMessage, KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES } from '../k8s/resources';
import { holderIsDead, leaseIsStale } from './lock';

/** On every pod the doctor starts (probe, chown): which process started it (lock.ts PROCESS_TAG). */
export const CREATED_BY = 'flywheel-doctor.dev/created-by';
/** The label of those pods (its value says which kind). */
export const POD_ROLE_LABEL = 'flywheel-doctor.dev/role';

/**
 * Removes what a process of ours left behind when it died mid-run or mid-fix: pods it started whose
 * creator is gone (same host), and fix Leases that expired or whose holder is gone. Runs when a
 * server starts and before every fix, so leftovers do not wait for a run of the PVC check (the pods'
 * own deadline stops them in any case; the PVC check removes those past it on other hosts).
 */
export async function sweepLeftovers(client: KubeClient, namespace: string): Promise<string[]> {
  const removed: string[] = [];
  const [pods, leases] = await Promise.all([
    client.list<KObject>(RESOURCES.pods, namespace, { query: { labelSelector: POD_ROLE_LABEL } }),
    client.list<KObject>(RESOURCES.leases, namespace, {
      query: { labelSelector: 'app.kubernetes.io/managed-by=flywheel-doctor' },
    }),
  ]);
  const remove = async (type: typeof RESOURCES.pods, o: KObject, what: string) => {
    try {
      // Pods change status all the time: guarded by uid (this pod, not a new one by that name);
      // Leases by version (not one another process has just taken over).
      await client.delete(
        type,
        namespace,
        o.metadata!.name!,
        type === RESOURCES.pods
          ? { uid: o.metadata?.uid, gracePeriodSeconds: 0 }
          : { resourceVersion: o.metadata?.resourceVersion },
      );
      removed.push(`${what} ${o.metadata!.name}`);
    } catch (e) {
      if (!(e instanceof KubeApiError && (e.isNotFound || e.isConflict))) throw e;
    }
  };
  await Promise.all([
    ...pods.items
      .filter((p) => holderIsDead(`(${p.metadata?.annotations?.[CREATED_BY] ?? ''})`))
      .map((p) => remove(RESOURCES.pods, p, 'pod')),
    ...leases.items
      .filter((l) => /^flywheel-doctor-(lock|fix)-/.test(l.metadata?.name ?? '') && leaseIsStale(l))
      .map((l) => remove(RESOURCES.leases, l, 'lease')),
  ]);
  return removed;
}

/** sweepLeftovers that never fails its caller: what it could not do is logged, not thrown. */
export async function sweepQuietly(client: KubeClient, namespace: string, log: (m: string) => void = () => undefined) {
  try {
    const removed = await sweepLeftovers(client, namespace);
    if (removed.length) log(`removed leftovers in ${namespace}: ${removed.join(', ')}`);
  } catch (e) {
    log(`could not look for leftovers in ${namespace}: ${errorMessage(e)}`);
  }
}
