import type { EngineConfig } from '../../lib/config';
import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';

/** What makes a namespace look like a Data Flywheel install: the flywheel's config or the NeMo gateway. */
export function installMarkers(config: EngineConfig): Array<{ resource: 'configmaps' | 'deployments'; name: string }> {
  const c = config as EngineConfig & { dataFlywheel?: { configMap?: string }; gateway?: { deployment?: string } };
  return [
    { resource: 'configmaps', name: c.dataFlywheel?.configMap ?? 'df-config' },
    { resource: 'deployments', name: c.gateway?.deployment ?? 'nemo-gateway' },
  ];
}

/**
 * The namespaces (among `candidates`, which the identity can see) holding a marker: one cluster-wide
 * list per marker by name when the identity may, else a read per namespace (at most `limit`).
 */
export async function flywheelNamespaces(
  client: KubeClient,
  candidates: string[],
  config: EngineConfig,
  limit = 100,
): Promise<string[]> {
  const found = new Set<string>();
  for (const m of installMarkers(config)) {
    const type = RESOURCES[m.resource];
    try {
      const list = await client.request<{ items: KObject[] }>(
        'GET',
        `${type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`}/${type.plural}`,
        { query: { fieldSelector: `metadata.name=${m.name}`, limit: '500' }, timeoutMs: 5000 },
      );
      for (const o of list.items) if (o.metadata?.namespace) found.add(o.metadata.namespace);
    } catch {
      // Not allowed cluster-wide: ask each namespace the identity can see.
      await Promise.all(
        candidates.slice(0, limit).map(async (ns) => {
          if (found.has(ns)) return;
          const has = await client.get(type, ns, m.name, { timeoutMs: 5000 }).then(
            () => true,
            () => false,
          );
          if (has) found.add(ns);
        }),
      );
    }
  }
  return candidates.filter((ns) => found.has(ns));
}
