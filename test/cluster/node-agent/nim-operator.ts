/**
 * NIM Operator emulation for NemoEvaluator: whenever the CR spec changes (hash annotation
 * nvidia.com/parent-spec-hash), the evaluator Deployment's container env is re-rendered from
 * spec.entitystore.endpoint and spec.env, dropping any env set only on the Deployment, and its init
 * containers (wait-for-postgres, evaluator-db-migration) are rendered without spec.env, as NIM
 * Operator 3.0.x-3.1.x does: an EVALUATOR_IMAGE added to the migration container is dropped too.
 */
import { KubeApiError } from '../../../lib/k8s/errors';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { specHash } from '../spec-hash';
import { client, log } from './common';

/** The init containers the operator renders for an evaluator: spec.env is not passed to them. */
function initContainers(cr: KObject, ns: string) {
  const image = `${cr.spec?.image?.repository ?? 'nvcr.io/nvidia/nemo-microservices/evaluator'}:${cr.spec?.image?.tag ?? 'latest'}`;
  const postgres = `postgresql://evaluator@${cr.metadata!.name}-postgresql.${ns}.svc.cluster.local:5432/evaluation`;
  return [
    {
      name: 'wait-for-postgres',
      image: 'busybox:1.36',
      command: ['sh', '-c', 'until nc -z $PGHOST 5432; do sleep 2; done'],
      env: [{ name: 'PGHOST', value: `${cr.metadata!.name}-postgresql` }],
    },
    {
      name: 'evaluator-db-migration',
      image,
      command: ['/app/migrate'],
      env: [{ name: 'POSTGRES_URI', value: postgres }],
    },
  ];
}

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
          { op: 'add', path: '/spec/template/spec/initContainers', value: initContainers(cr, ns) },
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
