// gpu-tolerations: what it reads: the GPU nodes' taints, the tolerations of each resource that needs a GPU, the refused pods.
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { defineResources, type ResourceType } from '../../lib/k8s/resources';
import '../shared/nim-resources';

// What this check reads beyond the NIM Operator's kinds (shared/nim-resources): the nodes, cluster-wide.
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    nodes: ResourceType;
  }
}
defineResources({ nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false } });

export const GpuSection = z
  .object({
    /** The extended resource GPU nodes offer. */
    resource: z.string().default('nvidia.com/gpu'),
  })
  .prefault({});

export const sections = { gpu: GpuSection };
export type Config = ConfigOf<typeof sections>;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** Where each CR keeps the tolerations of the pods that need GPUs. */
export const WHERE = {
  NIMService: { resource: 'nimservices', path: ['spec', 'tolerations'] },
  NIMCache: { resource: 'nimcaches', path: ['spec', 'tolerations'] },
  NemoCustomizer: { resource: 'nemocustomizers', path: ['spec', 'trainingConfig', 'tolerations'] },
} as const;
export type CrKind = keyof typeof WHERE;

export interface GpuCr {
  kind: CrKind;
  cr: KObject;
  tolerations: Toleration[];
  /** The GPU node taints it does not tolerate, on the node it could use most easily. */
  missing: Taint[];
}

export interface GpuSubject {
  gpuNodes: Array<{ name: string; taints: Taint[] }>;
  crs: GpuCr[];
  /** Pending pods the scheduler refused for an untolerated taint, with its words and the CR they belong to. */
  refused: Array<{ pod: string; message: string; owner?: GpuCr }>;
}

/** The Kubernetes rule: a toleration matches a taint by key (or none with Exists), value (Equal) and effect. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

export const untolerated = (tolerations: Toleration[], taints: Taint[]) =>
  taints.filter((taint) => !tolerations.some((t) => tolerates(t, taint)));

export const at = (o: KObject, path: readonly string[]) =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

export function locateGpu(snapshot: Snapshot, config: Config): GpuSubject {
  const gpuNodes = (snapshot.notInstalled('nodes') ? [] : snapshot.list('nodes'))
    .filter(
      (n) => Number(n.status?.allocatable?.[config.gpu.resource] ?? n.status?.capacity?.[config.gpu.resource] ?? 0) > 0,
    )
    .map((n) => ({
      name: n.metadata!.name!,
      // Scheduling taints only: node.kubernetes.io/* ones come and go with the node's condition.
      taints: ((n.spec?.taints ?? []) as Taint[]).filter(
        (t) => ['NoSchedule', 'NoExecute'].includes(t.effect) && !t.key.startsWith('node.kubernetes.io/'),
      ),
    }));
  const asksForGpu = (o: { limits?: Record<string, unknown>; requests?: Record<string, unknown> } | undefined) =>
    Number(o?.limits?.[config.gpu.resource] ?? o?.requests?.[config.gpu.resource] ?? 0) > 0;
  // Training always runs on GPUs; a NIM or NIMCache does when it (or the Deployment it renders) asks for one.
  const needsGpu = (kind: CrKind, cr: KObject) =>
    kind === 'NemoCustomizer' ||
    asksForGpu(cr.spec?.resources) ||
    (
      (snapshot.find('deployments', cr.metadata!.name!)?.spec?.template?.spec?.containers ?? []) as Array<{
        resources?: Parameters<typeof asksForGpu>[0];
      }>
    ).some((c) => asksForGpu(c.resources));
  const crs: GpuCr[] = (Object.keys(WHERE) as CrKind[]).flatMap((kind) => {
    const resource = WHERE[kind].resource;
    const all = snapshot.notInstalled(resource) ? [] : snapshot.list(resource);
    return all
      .filter((cr) => needsGpu(kind, cr))
      .map((cr) => {
        const tolerations = (at(cr, WHERE[kind].path) ?? []) as Toleration[];
        // The node it fits best: the fewest taints left untolerated.
        const missing =
          gpuNodes.map((n) => untolerated(tolerations, n.taints)).sort((a, b) => a.length - b.length)[0] ?? [];
        return { kind, cr, tolerations, missing };
      });
  });
  const refused = snapshot
    .list('pods')
    .filter((p) => p.status?.phase === 'Pending')
    .flatMap((p) => {
      const c = ((p.status?.conditions ?? []) as Array<{ type: string; status: string; message?: string }>).find(
        (x) => x.type === 'PodScheduled' && x.status === 'False' && /untolerated taint/.test(x.message ?? ''),
      );
      if (!c) return [];
      const name = p.metadata!.name!;
      const owner =
        crs.find((x) => x.kind !== 'NemoCustomizer' && name.startsWith(`${x.cr.metadata!.name}-`)) ??
        crs.find((x) => x.kind === 'NemoCustomizer');
      return [{ pod: name, message: c.message!, owner }];
    });
  return { gpuNodes, crs, refused };
}
