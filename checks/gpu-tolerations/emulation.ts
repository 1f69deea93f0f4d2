/**
 * What the NIM Operator does with a NIMService's tolerations, for this check's fixtures: the
 * Deployment it owns carries them in its pod template (re-rendered when they change), so a fixed
 * NIMService's new pod lands on the GPU node. Run by the test cluster's node agent.
 */
import { client, log } from '../../test/cluster/node-agent/common';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';

export async function reconcile(): Promise<void> {
  const services = await client
    .request<{ items: KObject[] }>('GET', '/apis/apps.nvidia.com/v1alpha1/nimservices')
    .catch(() => ({ items: [] as KObject[] }));
  for (const svc of services.items) {
    const ns = svc.metadata!.namespace!;
    const name = svc.metadata!.name!;
    const d = await client.get<KObject>(RESOURCES.deployments, ns, name).catch(() => undefined);
    if (!d?.metadata?.ownerReferences?.some((o) => o.kind === 'NIMService' && o.uid === svc.metadata!.uid)) continue;
    const want = svc.spec?.tolerations;
    if (!want || JSON.stringify(d.spec.template.spec.tolerations ?? []) === JSON.stringify(want)) continue;
    await client.jsonPatch(
      RESOURCES.deployments,
      ns,
      name,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: d.metadata!.resourceVersion },
        { op: 'add', path: '/spec/template/spec/tolerations', value: want },
      ],
      { fieldManager: 'k8s-nim-operator' },
    );
    log(`rendered tolerations of Deployment ${ns}/${name} from NIMService ${name}`);
  }
}
