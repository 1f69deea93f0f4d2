/**
 * NIM Operator emulation for NemoEvaluator: whenever the CR spec changes (hash annotation
 * nvidia.com/parent-spec-hash), the evaluator Deployment's container env is re-rendered from
 * spec.entitystore.endpoint and spec.env, dropping any env set only on the Deployment.
 */
import { createHash } from 'node:crypto';
import { KubeApiError } from '../../../lib/k8s/errors';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { client, log } from './common';

const specHash = (spec: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(spec ?? {}))
    .digest('hex')
    .slice(0, 16);

export async function reconcileEvaluators() {
  let crs: { items: KObject[] };
  try {
    crs = await client.request('GET', '/apis/apps.nvidia.com/v1alpha1/nemoevaluators');
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound) return; // CRD not installed
    throw e;
  }
  for (const cr of crs.items) {
    const ns = cr.metadata!.namespace!;
    const name = cr.metadata!.name!;
    const hash = specHash(cr.spec);
    let d: KObject;
    try {
      d = await client.get<KObject>(RESOURCES.deployments, ns, name);
    } catch {
      continue;
    }
    if (d.metadata?.annotations?.['nvidia.com/parent-spec-hash'] === hash) continue;
    const idx = (d.spec.template.spec.containers as Array<{ name: string }>).findIndex((c) => c.name === `${name}-ctr`);
    if (idx < 0) continue;
    // Standard env from the CR, then spec.env entries override by name (as the operator does).
    const env: Array<{ name: string; value?: string; valueFrom?: unknown }> = [
      {
        name: 'ENTITY_STORE_URL',
        value: cr.spec?.entitystore?.endpoint ?? `http://nemoentitystore-sample.${ns}.svc.cluster.local:8000`,
      },
      {
        name: 'DATA_STORE_URL',
        value: cr.spec?.datastore?.endpoint ?? `http://nemodatastore-sample.${ns}.svc.cluster.local:8000`,
      },
      { name: 'NAMESPACE', value: ns },
    ];
    for (const e of (cr.spec?.env ?? []) as typeof env) {
      const i = env.findIndex((x) => x.name === e.name);
      if (i >= 0) env[i] = e;
      else env.push(e);
    }
    await client
      .jsonPatch(
        RESOURCES.deployments,
        ns,
        name,
        [
          { op: 'test', path: '/metadata/resourceVersion', value: d.metadata!.resourceVersion },
          { op: 'replace', path: `/spec/template/spec/containers/${idx}/env`, value: env },
          {
            op: 'add',
            path: '/metadata/annotations',
            value: { ...(d.metadata?.annotations ?? {}), 'nvidia.com/parent-spec-hash': hash },
          },
        ],
        { fieldManager: 'k8s-nim-operator' },
      )
      .catch((e) => log(`render ${ns}/${name}: ${(e as Error).message}`));
    log(`rendered Deployment ${ns}/${name} from NemoEvaluator spec ${hash}`);
  }
}
