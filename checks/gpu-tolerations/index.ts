import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { FixStep } from '../../lib/engine/steps';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { defineResources, RESOURCES, type ResourceType } from '../../lib/k8s/resources';
import { waitForObject, waitForRollout } from '../../lib/k8s/wait';
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

const sections = { gpu: GpuSection };
type Config = ConfigOf<typeof sections>;

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
const WHERE = {
  NIMService: { resource: 'nimservices', path: ['spec', 'tolerations'] },
  NIMCache: { resource: 'nimcaches', path: ['spec', 'tolerations'] },
  NemoCustomizer: { resource: 'nemocustomizers', path: ['spec', 'trainingConfig', 'tolerations'] },
} as const;
type CrKind = keyof typeof WHERE;

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

const at = (o: KObject, path: readonly string[]) =>
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

/** The taints a list of added tolerations stands for (to ask whether a rendered pod template tolerates them). */
const toTaints = (ts: Toleration[]): Taint[] => ts.map((t) => ({ key: t.key!, value: t.value, effect: t.effect! }));

const show = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
const label = (c: GpuCr) => `${c.kind} ${c.cr.metadata?.name}`;

export function judgeGpu(s: GpuSubject): Finding {
  const evidence: Evidence[] = [];
  if (!s.gpuNodes.length)
    return { status: 'skipped', summary: 'No node offers GPUs to this cluster (nvidia.com/gpu)', evidence };
  for (const n of s.gpuNodes)
    evidence.push({ label: `GPU node ${n.name}`, value: n.taints.map(show).join(', ') || 'no taints' });
  for (const c of s.crs)
    evidence.push({
      label: label(c),
      value: c.missing.length ? `does not tolerate ${c.missing.map(show).join(', ')}` : 'tolerates a GPU node',
      tone: c.missing.length ? 'bad' : 'good',
    });
  for (const r of s.refused) evidence.push({ label: `Pod ${r.pod}`, value: r.message, tone: 'bad' });
  const lacking = s.crs.filter((c) => c.missing.length);
  const stuck = s.refused.filter((r) => !r.owner || r.owner.missing.length);
  if (stuck.length)
    return {
      status: 'fail',
      summary: `${stuck.length} pod(s) Pending with "untolerated taint": ${lacking.length ? `${lacking.map(label).join(', ')} ${lacking.length > 1 ? 'do' : 'does'} not tolerate the GPU nodes' taints (${[...new Set(lacking.flatMap((c) => c.missing.map(show)))].join(', ')})` : 'no NIM or NeMo resource here owns them'}`,
      evidence,
    };
  if (s.refused.length)
    return {
      status: 'warn',
      summary: `The resources tolerate the GPU nodes now, but ${s.refused.map((r) => r.pod).join(', ')} were created before and stay Pending until recreated`,
      evidence,
    };
  if (lacking.length)
    return {
      status: 'warn',
      summary: `${lacking.map(label).join(', ')} would not be scheduled on a GPU node (untolerated ${[...new Set(lacking.flatMap((c) => c.missing.map(show)))].join(', ')}): the next pod it starts stays Pending`,
      evidence,
    };
  return { status: 'pass', summary: `Every NIM and NeMo resource tolerates a GPU node's taints`, evidence };
}

interface GpuPlanData {
  patches: Array<{ kind: CrKind; name: string; ops: JsonPatchOp[] }>;
}

/** JSON Patch adding a toleration per missing taint (Equal with its value, else Exists) to the CR's list. */
export function tolerationOps(c: GpuCr): JsonPatchOp[] {
  const path = `/${WHERE[c.kind].path.join('/')}`;
  const add = c.missing.map((t) => ({
    key: t.key,
    operator: t.value ? 'Equal' : 'Exists',
    ...(t.value ? { value: t.value } : {}),
    effect: t.effect,
  }));
  const ops: JsonPatchOp[] = [guardFor(c.kind, c.cr).test];
  if (c.kind === 'NemoCustomizer' && !c.cr.spec?.trainingConfig)
    ops.push({ op: 'add', path: '/spec/trainingConfig', value: {} });
  if (at(c.cr, WHERE[c.kind].path) === undefined) ops.push({ op: 'add', path, value: add });
  else for (const t of add) ops.push({ op: 'add', path: `${path}/-`, value: t });
  return ops;
}

export default defineCheck<typeof sections, GpuSubject, undefined, GpuPlanData>({
  id: 'gpu-tolerations',
  title: "GPU workloads tolerate the GPU nodes' taints",
  area: 'GPU scheduling',
  config: sections,
  needs: ['nodes', 'pods', 'deployments', 'nimservices', 'nimcaches', 'nemocustomizers'],
  explain: {
    jobSignatures: [{ pattern: /untolerated taint/, cause: "a GPU workload does not tolerate the GPU nodes' taints" }],
    symptom:
      'Training, NIMCache or NIM pods stay Pending: "0/N nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: …}".',
    rootCause:
      'GPU nodes are usually tainted so only GPU work lands there; the NemoCustomizer training spec, NIMCache or NIMService must carry matching tolerations, or their pods fit no node.',
    manualFix: (c) => [
      `oc get nodes -o custom-columns=NAME:.metadata.name,GPU:.status.allocatable.${c.gpu.resource.replace(/\./g, '\\.')},TAINTS:.spec.taints`,
      `oc patch nimservice <name> -n ${c.namespace} --type=json -p '[{"op":"add","path":"/spec/tolerations","value":[{"key":"<taint key>","operator":"Exists","effect":"NoSchedule"}]}]'   # nimcache: the same path; nemocustomizer: /spec/trainingConfig/tolerations`,
      `# a training job already Pending keeps its pod spec: cancel it and start it again once the NemoCustomizer tolerates the taint`,
      `oc delete pod <pending pod> -n ${c.namespace}   # NIM and NIMCache pods are recreated by their controllers with the new tolerations`,
    ],
  },
  locate: locateGpu,
  judge: ({ subject }) => judgeGpu(subject),
  fix: {
    description:
      "Add a toleration for each GPU node taint the NIMService, NIMCache or NemoCustomizer (training) lacks, guarded on the CR's version; their controllers re-render the pods.",
    touches: ['gpu-tolerations'],
    available({ subject }) {
      if (!subject.crs.some((c) => c.missing.length))
        return {
          reason: subject.refused.length
            ? 'the resources already tolerate the taints: recreate the Pending pods (a training job: start it again)'
            : 'nothing lacks a toleration',
        };
      return true;
    },
    permissions: (c) =>
      (Object.values(WHERE) as Array<(typeof WHERE)[CrKind]>).map((w) => ({
        verb: 'patch',
        group: 'apps.nvidia.com',
        resource: w.resource,
        namespace: c.namespace,
      })),
    plan({ subject }) {
      const lacking = subject.crs.filter((c) => c.missing.length);
      const patches = lacking.map((c) => ({ kind: c.kind, name: c.cr.metadata!.name!, ops: tolerationOps(c) }));
      return {
        noop: lacking.length === 0,
        summary: lacking.length
          ? `Add GPU tolerations to ${lacking.map(label).join(', ')}`
          : 'Every resource tolerates the GPU nodes',
        changes: lacking.map((c, i) => ({
          target: targetOf(c.kind, c.cr),
          action: 'patch' as const,
          description: `tolerate ${c.missing.map(show).join(', ')} (${WHERE[c.kind].path.join('.')})`,
          patch: patches[i]!.ops,
        })),
        risks: [
          'Their pods may now land on the GPU nodes (that is the point); pods already Pending from a training job keep their old spec: start that job again.',
        ],
        guards: lacking.map((c) => guardFor(c.kind, c.cr).guard),
        data: { patches },
      };
    },
    steps({ subject, reader, config }, plan): FixStep[] {
      return plan.data.patches.map((p) => {
        // A NIMService's operator re-renders its Deployment (same name): wait for that and the rollout.
        const rendered = p.kind === 'NIMService' && subject.crs.some((c) => c.cr.metadata?.name === p.name);
        const tolerations = p.ops.flatMap((o) =>
          o.op === 'add' && o.path.includes('/tolerations') ? ([o.value].flat() as Toleration[]) : [],
        );
        return {
          kind: 'patch',
          label: `patch ${p.kind} ${p.name}: tolerations`,
          resource: WHERE[p.kind].resource,
          name: p.name,
          ops: p.ops,
          settle: rendered
            ? async (signal, progress) => {
                const exists = await reader
                  .get<KObject>(RESOURCES.deployments, config.namespace, p.name, { signal })
                  .catch(() => undefined);
                if (!exists) return;
                progress(`waiting for the operator to render the tolerations into Deployment ${p.name}`);
                await waitForObject<KObject>(
                  reader,
                  RESOURCES.deployments,
                  config.namespace,
                  p.name,
                  (d) =>
                    untolerated((d.spec?.template?.spec?.tolerations ?? []) as Toleration[], toTaints(tolerations))
                      .length === 0,
                  config.rolloutTimeoutMs,
                  signal,
                );
                await waitForRollout(reader, config.namespace, p.name, config.rolloutTimeoutMs, signal, progress);
              }
            : undefined,
        };
      });
    },
    async readBack({ config, reader, signal }, plan) {
      return Promise.all(
        plan.data.patches.map(async (p) => {
          const cr = await reader.get<KObject>(RESOURCES[WHERE[p.kind].resource], config.namespace, p.name, { signal });
          const have = (at(cr, WHERE[p.kind].path) ?? []) as Toleration[];
          const wanted = p.ops.flatMap((o) => ('value' in o && o.op === 'add' ? [o.value].flat() : [])) as Toleration[];
          return {
            step: `${p.kind} ${p.name} carries the GPU tolerations`,
            done: wanted
              .filter((w) => typeof w === 'object' && 'effect' in w)
              .every((w) => have.some((h) => h.key === w.key && h.effect === w.effect)),
          };
        }),
      );
    },
  },
});
