import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { defineResources, RESOURCES, type ResourceType } from '../../lib/k8s/resources';
import { waitForObject } from '../../lib/k8s/wait';
import '../shared/nim-resources';
import { parseQuantity } from './quantity';

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

const sections = { nimcacheStorage: NimCacheStorageSection };
type Config = ConfigOf<typeof sections>;

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

const pvcNameOf = (cache: KObject) =>
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

const requested = (pvc?: KObject) => pvc?.spec?.resources?.requests?.storage as string | undefined;
const capacity = (pvc?: KObject) => (pvc?.status?.capacity?.storage as string | undefined) ?? requested(pvc);
const bytes = (q?: string) => (q ? parseQuantity(q) : undefined);

export function judgeCaches(subjects: CacheSubject[], probe: CacheProbe, config: Config): Finding {
  const evidence: Evidence[] = [];
  if (!subjects.length) return { status: 'skipped', summary: 'No NIMCache here', evidence };
  const min = bytes(config.nimcacheStorage.minimumSize)!;
  const fails: string[] = [];
  const warns: string[] = [];
  for (const s of subjects) {
    const name = s.cache.metadata!.name!;
    const state = (s.cache.status?.state as string | undefined) ?? '(no state)';
    const ready = state === 'Ready';
    const size = capacity(s.pvc);
    const small = bytes(size) !== undefined && bytes(size)! < min;
    const full = s.failedPods.filter((p) => DISK_FULL.test(probe.logs[p] ?? ''));
    evidence.push({
      label: `NIMCache ${name}`,
      value: `${state}; PVC ${s.pvcName}: ${s.pvc ? `${size}${requested(s.pvc) !== size ? ` (${requested(s.pvc)} requested)` : ''}, StorageClass ${s.pvc.spec?.storageClassName ?? '(default)'}` : 'not found'}`,
      tone: ready ? 'good' : 'bad',
    });
    for (const p of s.failedPods)
      evidence.push({ label: `Pod ${p}`, value: probe.logs[p] ?? '(no log read)', tone: 'bad' });
    if (ready) continue;
    if (full.length || (s.failedPods.length && small))
      fails.push(
        `NIMCache ${name} is ${state}: ${full.length ? `its caching job ran out of disk ("No space left on device" in ${full.join(', ')})` : 'its caching job fails'}${small ? ` and PVC ${s.pvcName} holds ${size}, under the ${config.nimcacheStorage.minimumSize} a NIM's cache needs` : ''}`,
      );
    else if (small && bytes(requested(s.pvc))! >= min)
      warns.push(
        `PVC ${s.pvcName} was asked to grow to ${requested(s.pvc)}; the storage driver has not resized it yet`,
      );
    else if (small)
      warns.push(
        `NIMCache ${name} is ${state} on a ${size} PVC, under the ${config.nimcacheStorage.minimumSize} a NIM's cache needs`,
      );
  }
  if (probe.errors.length) evidence.push({ label: 'Not read', value: probe.errors.join('; '), tone: 'info' });
  if (fails.length) return { status: 'fail', summary: fails.join('; '), evidence };
  if (warns.length) return { status: 'warn', summary: warns.join('; '), evidence };
  return { status: 'pass', summary: `Every NIMCache is Ready (${subjects.length})`, evidence };
}

/** The caches whose PVC is too small while they fail: what the fix would grow. */
export function toGrow(subjects: CacheSubject[], config: Config): CacheSubject[] {
  const min = bytes(config.nimcacheStorage.minimumSize)!;
  return subjects.filter(
    (s) =>
      s.pvc &&
      s.cache.status?.state !== 'Ready' &&
      s.failedPods.length > 0 &&
      (bytes(requested(s.pvc)) ?? Infinity) < min,
  );
}

export default defineCheck<typeof sections, CacheSubject[], CacheProbe, { pvcs: string[] }>({
  id: 'nimcache-storage',
  title: 'NIMCaches have room for the model',
  area: 'NIM storage',
  config: sections,
  needs: ['nimcaches', 'persistentvolumeclaims', 'pods'],
  explain: {
    jobSignatures: [{ pattern: DISK_FULL, cause: "a NIMCache's volume is full" }],
    symptom:
      'A NIMCache never becomes Ready; its caching job pods fail with "No space left on device"; the NIMs waiting for it never start.',
    rootCause:
      "The NIMCache's PVC was sized for a smaller model (the charts' default is 50Gi): the weights and engines of an LLM NIM need 100Gi or more.",
    manualFix: (c) => [
      `oc get nimcache -n ${c.namespace} -o custom-columns=NAME:.metadata.name,STATE:.status.state,PVC:.status.pvc`,
      `oc get storageclass <class of the PVC> -o jsonpath='{.allowVolumeExpansion}'   # true: the PVC can grow in place`,
      `oc patch pvc <pvc> -n ${c.namespace} -p '{"spec":{"resources":{"requests":{"storage":"${c.nimcacheStorage.minimumSize}"}}}}'`,
      `# otherwise: delete the NIMCache and its PVC, and create it again with spec.storage.pvc.size: ${c.nimcacheStorage.minimumSize}`,
    ],
  },
  probePermissions: (c) => [
    { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: c.namespace },
    { verb: 'get', group: 'storage.k8s.io', resource: 'storageclasses' },
  ],
  locate: (snapshot) => locateCaches(snapshot),
  async probe({ subject, client, config, signal }): Promise<CacheProbe> {
    const logs: Record<string, string> = {};
    const errors: string[] = [];
    const failed = subject
      .flatMap((s) => s.failedPods.map((pod) => ({ pod, container: s.containers[pod]! })))
      .slice(0, 5);
    await Promise.all(
      failed.map(async ({ pod, container }) => {
        try {
          logs[pod] = (
            await client.podLog(config.namespace, pod, container, {
              tailLines: config.nimcacheStorage.logTailLines,
              limitBytes: 8192,
            })
          ).trimEnd();
        } catch (e) {
          if (signal.aborted) throw e;
          errors.push(`log of ${pod}: ${errorMessage(e)}`);
        }
      }),
    );
    const expandable: Record<string, boolean | undefined> = {};
    for (const cls of new Set(
      toGrow(subject, config).map((s) => s.pvc!.spec?.storageClassName as string | undefined),
    )) {
      if (!cls) continue;
      try {
        const sc = await client.get<KObject>(RESOURCES.storageclasses, undefined, cls, { signal });
        expandable[cls] = sc.allowVolumeExpansion === true;
      } catch (e) {
        expandable[cls] = e instanceof KubeApiError && e.isNotFound ? false : undefined;
        if (!(e instanceof KubeApiError && e.isNotFound)) errors.push(`StorageClass ${cls}: ${errorMessage(e)}`);
      }
    }
    return { logs, expandable, errors };
  },
  judge: ({ subject, probe, config }) => judgeCaches(subject, probe, config),
  fix: {
    description:
      "Grow each failing NIMCache's PVC to the minimum size when its StorageClass allows volume expansion (guarded on the PVC's version); the operator's next caching job then has room.",
    available({ subject, probe, config }) {
      const grow = toGrow(subject, config);
      if (!grow.length) return { reason: 'no failing NIMCache has a PVC under the minimum size' };
      const fixed = grow.filter((s) => probe.expandable[s.pvc!.spec?.storageClassName] !== true);
      if (fixed.length)
        return {
          reason: `the StorageClass of PVC ${fixed.map((s) => s.pvcName).join(', ')} does not allow volume expansion (or cannot be read): recreate the NIMCache with a larger spec.storage.pvc.size`,
        };
      return true;
    },
    permissions: (c) => [{ verb: 'patch', group: '', resource: 'persistentvolumeclaims', namespace: c.namespace }],
    plan({ subject, config }) {
      const grow = toGrow(subject, config);
      return {
        noop: grow.length === 0,
        summary: grow.length
          ? `Grow PVC ${grow.map((s) => s.pvcName).join(', ')} to ${config.nimcacheStorage.minimumSize}`
          : 'No PVC to grow',
        changes: grow.map((s) => ({
          target: targetOf('PersistentVolumeClaim', s.pvc!),
          action: 'patch' as const,
          description: `spec.resources.requests.storage ${requested(s.pvc)} → ${config.nimcacheStorage.minimumSize}`,
          patch: [
            guardFor('PersistentVolumeClaim', s.pvc!).test,
            { op: 'replace', path: '/spec/resources/requests/storage', value: config.nimcacheStorage.minimumSize },
          ],
          before: requested(s.pvc),
          after: config.nimcacheStorage.minimumSize,
        })),
        risks: [
          'A volume only grows: it cannot be shrunk back. The storage driver resizes it (online, or when the pod using it restarts).',
        ],
        guards: grow.map((s) => guardFor('PersistentVolumeClaim', s.pvc!).guard),
        data: { pvcs: grow.map((s) => s.pvcName) },
      };
    },
    steps({ subject, reader, config }, plan) {
      return plan.changes.map((c, i) => {
        const pvcName = plan.data.pvcs[i]!;
        const cache = subject.find((s) => s.pvcName === pvcName)!.cache.metadata!.name!;
        return {
          kind: 'patch' as const,
          label: `grow PVC ${pvcName}`,
          resource: 'persistentvolumeclaims' as const,
          name: pvcName,
          ops: c.patch!,
          // The storage driver resizes the volume, then the operator's next caching job runs.
          settle: async (signal: AbortSignal, progress: (s: string) => void) => {
            const min = bytes(config.nimcacheStorage.minimumSize)!;
            progress(`waiting for the storage driver to resize PVC ${pvcName}`);
            await waitForObject<KObject>(
              reader,
              RESOURCES.persistentvolumeclaims,
              config.namespace,
              pvcName,
              (p) => (bytes(p.status?.capacity?.storage) ?? 0) >= min,
              config.rolloutTimeoutMs,
              signal,
            );
            progress(`waiting for NIMCache ${cache} to cache the model again`);
            await waitForObject<KObject>(
              reader,
              RESOURCES.nimcaches,
              config.namespace,
              cache,
              (x) => x.status?.state !== 'Failed',
              config.rolloutTimeoutMs,
              signal,
            );
          },
        };
      });
    },
  },
});
