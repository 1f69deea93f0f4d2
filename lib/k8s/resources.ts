import { createHmac, randomBytes } from 'node:crypto';
import type { KObject } from './object';

/** A namespace name as the API server accepts it: an RFC 1123 label, at most 63 characters. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The API resources Flywheel Doctor reads or writes, keyed by a short stable name. */
export interface ResourceType {
  group: string; // '' = core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** What a snapshot keeps of each listed object (Secrets: names and key sizes, never values). */
  keep?: (o: KObject) => KObject;
  /** A field selector the snapshot lists with: the objects no check reads are never sent. */
  fieldSelector?: string;
}

/**
 * A Secret as the snapshot holds it: its name, type and, per key, the size of the value in bytes
 * (`keyBytes`) and a keyed digest (`keyDigests`: HMAC-SHA256 under a random key made by this process
 * and never exported, so two Secrets can be compared for equality, say a service's database password
 * and the database's own, and nothing outside the process can test a guess against it). The values
 * themselves are dropped as soon as the list arrives, so no check, log, plan or report can carry them.
 */
export function secretShape(o: KObject): KObject {
  const keyBytes: Record<string, number> = {};
  const keyDigests: Record<string, string> = {};
  const add = (k: string, value: Buffer) => {
    keyBytes[k] = value.length;
    keyDigests[k] = createHmac('sha256', DIGEST_KEY).update(value).digest('hex').slice(0, 32);
  };
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) add(k, Buffer.from(v ?? '', 'base64'));
  for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>))
    add(k, Buffer.from(v ?? '', 'utf8'));
  // managedFields name fields (f:data.f:KEY), never values: kept so the watch can say who changed it.
  const { name, namespace, uid, resourceVersion, creationTimestamp, labels, managedFields } = o.metadata ?? {};
  return {
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp, labels, managedFields },
    type: o.type,
    keyBytes,
    keyDigests,
  };
}

const DIGEST_KEY = randomBytes(32);

const CORE = {
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  persistentvolumeclaims: {
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
  },
  // Checks read only Warning Events (the operator's render failures); Normal ones are most of a list.
  events: {
    group: '',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    fieldSelector: 'type=Warning',
  },
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, keep: secretShape },
  endpointslices: {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  customresourcedefinitions: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
  },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  roles: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  rolebindings: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

/**
 * Resource types by short name. lib/ knows the built-in kinds; checks add the custom resources of
 * the stack they inspect (declaration merging on this interface, plus defineResources at import).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ResourceTypes extends Record<keyof typeof CORE, ResourceType> {}

export const RESOURCES = { ...CORE } as ResourceTypes;

/** True for the kinds lib/ knows itself; the others are registered by the checks that read them. */
export const isBuiltInResource = (name: string) => Object.hasOwn(CORE, name);

/** Registers custom resource types (see ResourceTypes). */
export function defineResources(types: Partial<Record<ResourceName, ResourceType>>): void {
  Object.assign(RESOURCES, types);
}

export type ResourceName = keyof ResourceTypes;

export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}` : '';
  const sub = subresource ? `/${subresource}` : '';
  return `${base}${ns}/${type.plural}${obj}${sub}`;
}

/** "roles.rbac.authorization.k8s.io" style name used in messages and RBAC commands. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}
