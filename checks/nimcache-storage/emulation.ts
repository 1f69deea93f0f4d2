/**
 * What this check's fixtures need emulated (run by the test cluster's node agent): the resizer of
 * StorageClass fd-expandable (a PVC asked to grow gets the capacity, as a CSI driver's resizer
 * does), and the NIM Operator retrying a failed NIMCache once its volume holds the model (the size
 * the fixture says it needs): its failed caching pods go, its state becomes Ready.
 */
import { client, log } from '../../test/cluster/node-agent/common';
import type { KObject } from '../../lib/k8s/object';
import { parseQuantity } from './quantity';

const EXPANDABLE = 'fd-expandable';
const MODEL_SIZE = 'sim.flywheel-doctor.dev/model-size';

export async function reconcile(): Promise<void> {
  const pvcs = await client.request<{ items: KObject[] }>('GET', '/api/v1/persistentvolumeclaims');
  for (const pvc of pvcs.items.filter((p) => p.spec?.storageClassName === EXPANDABLE && p.status?.phase === 'Bound')) {
    const want = pvc.spec.resources?.requests?.storage as string;
    const have = pvc.status?.capacity?.storage as string | undefined;
    if (!want || (have && parseQuantity(have)! >= parseQuantity(want)!)) continue;
    const ns = pvc.metadata!.namespace!;
    await client.request('PATCH', `/api/v1/persistentvolumes/${pvc.spec.volumeName}`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { capacity: { storage: want } } },
    });
    await client.request('PATCH', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${pvc.metadata!.name}/status`, {
      contentType: 'application/merge-patch+json',
      body: { status: { capacity: { storage: want } } },
    });
    log(`resized PVC ${ns}/${pvc.metadata!.name} to ${want}`);
  }
  const caches = await client
    .request<{ items: KObject[] }>('GET', '/apis/apps.nvidia.com/v1alpha1/nimcaches')
    .catch(() => ({ items: [] as KObject[] }));
  for (const cache of caches.items) {
    const needs = cache.metadata?.annotations?.[MODEL_SIZE];
    if (!needs || cache.status?.state === 'Ready') continue;
    const ns = cache.metadata!.namespace!;
    const pvc = pvcs.items.find((p) => p.metadata?.namespace === ns && p.metadata?.name === cache.status?.pvc);
    const room = pvc?.status?.capacity?.storage as string | undefined;
    if (!room || parseQuantity(room)! < parseQuantity(needs)!) continue;
    const pods = await client.request<{ items: KObject[] }>('GET', `/api/v1/namespaces/${ns}/pods`);
    for (const p of pods.items.filter((x) => x.metadata?.name?.startsWith(`${cache.metadata!.name}-job`)))
      await client.request('DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata!.name}`).catch(() => undefined);
    await client.request(
      'PATCH',
      `/apis/apps.nvidia.com/v1alpha1/namespaces/${ns}/nimcaches/${cache.metadata!.name}/status`,
      {
        contentType: 'application/merge-patch+json',
        body: { status: { state: 'Ready' } },
      },
    );
    log(`NIMCache ${ns}/${cache.metadata!.name}: the caching job succeeded on ${room}`);
  }
}
