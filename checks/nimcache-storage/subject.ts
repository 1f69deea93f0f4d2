// nimcache-storage: what it reads: each NIMCache, its PVC and its failed caching pods.
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { defineResources, type ResourceType } from '../../lib/k8s/resources';
import '../shared/nim-resources';

// StorageClass (cluster-wide, read by name: may its volumes grow?); NIMCache is in shared/nim-resources.
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    storageclasses: ResourceType;
  }
}
defineResources({
  storageclasses: {
    group: 'storage.k8s.io',
    version: 'v1',
    plural: 'storageclasses',
    kind: 'StorageClass',
    namespaced: false,
  },
});

export const NimCacheStorageSection = z
  .object({
    /** What a NIM's cache needs at least (LLM weights and engines): smaller volumes fill up. */
    minimumSize: z
      .string()
      .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti)?$/, 'a quantity such as 100Gi')
      .default('100Gi'),
    logTailLines: z.number().int().positive().default(20),
  })
  .prefault({});

export const sections = { nimcacheStorage: NimCacheStorageSection };
export type Config = ConfigOf<typeof sections>;

export const DISK_FULL = /No space left on device/i;

export interface CacheSubject {
  cache: KObject;
  pvcName: string;
  pvc?: KObject;
  /** Pods of its caching job that failed (terminated non-zero, or phase Failed), with their container. */
  failedPods: string[];
  containers: Record<string, string>;
}

export interface CacheProbe {
  /** The tail of each failed pod's log. */
  logs: Record<string, string>;
  /** allowVolumeExpansion of each StorageClass the small PVCs use (undefined: unknown). */
  expandable: Record<string, boolean | undefined>;
  errors: string[];
}

export const pvcNameOf = (cache: KObject) =>
  (cache.status?.pvc as string | undefined) ?? cache.spec?.storage?.pvc?.name ?? `${cache.metadata!.name}-pvc`;

export function locateCaches(snapshot: Snapshot): CacheSubject[] {
  if (snapshot.notInstalled('nimcaches')) return [];
  const pods = snapshot.list('pods');
  return snapshot.list('nimcaches').map((cache) => {
    const pvcName = pvcNameOf(cache);
    const failedPods = pods
      .filter((p) => p.metadata?.name?.startsWith(`${cache.metadata!.name}-job`))
      .filter(
        (p) =>
          p.status?.phase === 'Failed' ||
          (
            (p.status?.containerStatuses ?? []) as Array<{
              state?: { terminated?: { exitCode?: number } };
              lastState?: { terminated?: { exitCode?: number } };
            }>
          ).some((c) => (c.state?.terminated?.exitCode ?? c.lastState?.terminated?.exitCode ?? 0) !== 0),
      );
    const containers = Object.fromEntries(failedPods.map((p) => [p.metadata!.name!, p.spec?.containers?.[0]?.name]));
    return {
      cache,
      pvcName,
      pvc: snapshot.find('persistentvolumeclaims', pvcName),
      failedPods: failedPods.map((p) => p.metadata!.name!),
      containers,
    };
  });
}
