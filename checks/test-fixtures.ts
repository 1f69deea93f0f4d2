/** Builders for unit-test snapshots: the shapes the NIM Operator and the charts produce. */
import { loadConfig, type ConfigInput } from '../lib/config';
import type { KObject } from '../lib/k8s/object';
import { CONFIG_SCHEMA } from '.';

export const NS = 'flywheel';
/** The whole configuration as the registry assembles it; each check reads its own sections. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const config = (over: ConfigInput = {}): any => loadConfig(CONFIG_SCHEMA, { namespace: NS, ...over }, {});

export function evaluatorDeployment(
  env: Array<Record<string, unknown>>,
  opts: { owned?: boolean; name?: string; ready?: boolean; envFrom?: unknown[] } = {},
): KObject {
  const name = opts.name ?? 'nemoevaluator-sample';
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: NS,
      generation: 2,
      resourceVersion: '100',
      ownerReferences:
        opts.owned === false
          ? undefined
          : [{ apiVersion: 'apps.nvidia.com/v1alpha1', kind: 'NemoEvaluator', name, uid: 'u1', controller: true }],
    },
    spec: {
      replicas: 1,
      template: {
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name: name === 'nemo-evaluator' ? 'nemo-evaluator' : `${name}-ctr`,
              image: 'evaluator',
              env,
              envFrom: opts.envFrom,
            },
          ],
        },
      },
    },
    status: { observedGeneration: 2, replicas: 1, updatedReplicas: ready ? 1 : 0, availableReplicas: ready ? 1 : 0 },
  };
}

export function evaluatorCr(env?: Array<Record<string, unknown>>): KObject {
  return {
    apiVersion: 'apps.nvidia.com/v1alpha1',
    kind: 'NemoEvaluator',
    metadata: { name: 'nemoevaluator-sample', namespace: NS, resourceVersion: '7' },
    spec: { entitystore: { endpoint: 'http://nemoentitystore-sample:8000' }, ...(env ? { env } : {}) },
  };
}

export function role(rules: unknown[], name = 'nemoevaluator-sample'): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: NS, resourceVersion: '55' },
    rules,
  };
}

export function roleBinding(roleName: string, sa: string, name = roleName): KObject {
  return {
    kind: 'RoleBinding',
    metadata: { name, namespace: NS },
    roleRef: { kind: 'Role', name: roleName, apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: NS }],
  };
}

export const OPERATOR_RULES = [
  {
    apiGroups: ['security.openshift.io'],
    resources: ['securitycontextconstraints'],
    resourceNames: ['nonroot'],
    verbs: ['use'],
  },
  { apiGroups: [''], resources: ['secrets', 'pods'], verbs: ['get', 'watch', 'list', 'create'] },
];

export function namespace(annotations: Record<string, string> = {}): KObject {
  return { kind: 'Namespace', metadata: { name: NS, annotations } };
}

export function pvc(name = 'finetuning-ms-models-pvc'): KObject {
  return {
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'] },
    status: { phase: 'Bound' },
  };
}

export function pod(
  name: string,
  opts: {
    deployment?: string;
    phase?: string;
    ready?: boolean;
    statuses?: unknown[];
    conditions?: unknown[];
    labels?: Record<string, string>;
    volumes?: unknown[];
    securityContext?: unknown;
    nodeName?: string;
  } = {},
): KObject {
  const hash = 'abc123';
  const ready = opts.ready ?? true;
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: { ...(opts.deployment ? { 'pod-template-hash': hash } : {}), ...(opts.labels ?? {}) },
      ownerReferences: opts.deployment
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${opts.deployment}-${hash}`, uid: 'rs' }]
        : undefined,
    },
    spec: {
      containers: [{ name: 'main', image: 'img' }],
      volumes: opts.volumes,
      securityContext: opts.securityContext,
      nodeName: opts.nodeName ?? 'node-1',
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: opts.conditions ?? [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: opts.statuses ?? [{ name: 'main', ready, restartCount: 0, state: { running: {} } }],
    },
  };
}

export function deployment(name: string, opts: { replicas?: number; available?: number } = {}): KObject {
  return {
    kind: 'Deployment',
    metadata: { name, namespace: NS, resourceVersion: '9', generation: 1 },
    spec: { replicas: opts.replicas ?? 1, template: { metadata: {}, spec: { containers: [] } } },
    status: {
      observedGeneration: 1,
      replicas: opts.replicas ?? 1,
      updatedReplicas: opts.replicas ?? 1,
      availableReplicas: opts.available ?? opts.replicas ?? 1,
    },
  };
}
