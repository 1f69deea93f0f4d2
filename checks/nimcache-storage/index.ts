import { codes } from './codes';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import { defineCheck } from '../../lib/engine/types';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { waitForObject } from '../../lib/k8s/wait';
import '../shared/nim-resources';
import { CacheProbe, CacheSubject, DISK_FULL, locateCaches, sections } from './subject';
import { bytes, judgeCaches, requested, toGrow } from './judge';
export * from './subject';
export * from './judge';

export default defineCheck<typeof sections, CacheSubject[], CacheProbe, { pvcs: string[] }>({
  id: 'nimcache-storage',
  title: 'NIMCaches have room for the model',
  area: 'NIM storage',
  config: sections,
  codes,
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
    // The logs and the StorageClasses are independent: both asked at once.
    const readLogs = Promise.all(
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
    const classes = new Set(toGrow(subject, config).map((s) => s.pvc!.spec?.storageClassName as string | undefined));
    const readClasses = Promise.all(
      [...classes].map(async (cls) => {
        if (!cls) return;
        try {
          const sc = await client.get<KObject>(RESOURCES.storageclasses, undefined, cls, { signal });
          expandable[cls] = sc.allowVolumeExpansion === true;
        } catch (e) {
          expandable[cls] = e instanceof KubeApiError && e.isNotFound ? false : undefined;
          if (!(e instanceof KubeApiError && e.isNotFound)) errors.push(`StorageClass ${cls}: ${errorMessage(e)}`);
        }
      }),
    );
    await Promise.all([readLogs, readClasses]);
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
