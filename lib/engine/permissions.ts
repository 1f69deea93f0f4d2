import type { EngineConfig } from '../config';
import type { AccessQuestion } from '../k8s/client';
import { RESOURCES } from '../k8s/resources';
import type { AnyCheck } from './types';

/** One RBAC rule the app's own identity needs; `clusterScoped` ones go to a ClusterRole. */
export interface NeededRule {
  apiGroup: string;
  resource: string;
  verbs: string[];
  clusterScoped: boolean;
  /** Only these objects (a cluster-wide read of one named object, e.g. the DNS Service). */
  resourceNames?: string[];
  why: string;
}

function add(rules: Map<string, NeededRule>, r: Omit<NeededRule, 'verbs'> & { verb: string }) {
  const key = `${r.clusterScoped ? 'cluster' : 'ns'}|${r.apiGroup}|${r.resource}|${r.resourceNames?.join(',') ?? ''}`;
  const cur = rules.get(key) ?? {
    apiGroup: r.apiGroup,
    resource: r.resource,
    verbs: [],
    clusterScoped: r.clusterScoped,
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    why: r.why,
  };
  if (!cur.verbs.includes(r.verb)) cur.verbs.push(r.verb);
  if (!cur.why.includes(r.why)) cur.why += `; ${r.why}`;
  rules.set(key, cur);
}

function fromQuestion(q: AccessQuestion, why: string) {
  return {
    apiGroup: q.group,
    resource: q.subresource ? `${q.resource}/${q.subresource}` : q.resource,
    verb: q.verb,
    clusterScoped: !q.namespace,
    // A cluster-wide read of named objects is granted for those names only.
    ...(!q.namespace && q.name ? { resourceNames: [q.name] } : {}),
    why,
  };
}

/**
 * Everything the app's service account does, derived from the engine: the snapshot's reads,
 * the probes' extra calls, the reads fixes make to wait and verify, and report storage.
 * Writes that fixes make use the caller's identity and are not included.
 */
export function requiredAppPermissions(registry: readonly AnyCheck[], config: EngineConfig): NeededRule[] {
  const rules = new Map<string, NeededRule>();
  for (const c of registry) {
    for (const kind of c.needs) {
      const t = RESOURCES[kind];
      add(rules, {
        apiGroup: t.group,
        resource: t.plural,
        verb: kind === 'namespaces' ? 'get' : 'list', // the snapshot gets its namespace, lists every other kind
        clusterScoped: !t.namespaced,
        why: `snapshot for ${c.id}`,
      });
    }
    for (const q of c.probePermissions?.(config) ?? []) add(rules, { ...fromQuestion(q, `probe of ${c.id}`) });
    // The watch (lib/watch/monitor.ts) lists and watches every namespaced kind a check reads (not Events).
    for (const kind of c.needs) {
      const t = RESOURCES[kind];
      if (t.namespaced && kind !== 'events')
        add(rules, {
          apiGroup: t.group,
          resource: t.plural,
          verb: 'watch',
          clusterScoped: false,
          why: `watch for ${c.id}`,
        });
    }
  }
  // Waiting for rollouts and probe pods, and re-verifying after fixes.
  add(rules, {
    apiGroup: 'apps',
    resource: 'deployments',
    verb: 'get',
    clusterScoped: false,
    why: 'wait for rollouts after fixes',
  });
  // Waits read once, then watch for the change (lib/k8s/wait.ts).
  for (const verb of ['get', 'watch']) {
    add(rules, {
      apiGroup: 'apps',
      resource: 'deployments',
      verb,
      clusterScoped: false,
      why: 'wait for rollouts after fixes',
    });
    add(rules, { apiGroup: '', resource: 'pods', verb, clusterScoped: false, why: 'wait for probe pods' });
  }
  // Locks on the objects a fix touches: Leases held while it is applied (lib/engine/lock.ts); listed
  // to find the ones a dead process left (lib/engine/janitor.ts).
  for (const verb of ['get', 'list', 'create', 'update', 'delete'])
    add(rules, {
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      verb,
      clusterScoped: false,
      why: 'locks on the objects a fix touches',
    });
  // The audit trail: an Event on the object each applied fix changed (lib/engine/events.ts).
  add(rules, { apiGroup: '', resource: 'events', verb: 'create', clusterScoped: false, why: 'audit trail of fixes' });
  // Shared reports are ConfigMaps in the app's namespace.
  for (const verb of ['get', 'list', 'create', 'delete'])
    add(rules, { apiGroup: '', resource: 'configmaps', verb, clusterScoped: false, why: 'report storage' });
  // Run history per watched namespace: one ConfigMap, replaced under its resourceVersion.
  add(rules, { apiGroup: '', resource: 'configmaps', verb: 'update', clusterScoped: false, why: 'run history' });
  return [...rules.values()]
    .map((r) => ({ ...r, verbs: [...r.verbs].sort() }))
    .sort((a, b) =>
      `${a.clusterScoped}${a.apiGroup}${a.resource}`.localeCompare(`${b.clusterScoped}${b.apiGroup}${b.resource}`),
    );
}
