import { coded, codedList, item, type CodedItem } from '../../lib/engine/codes';
import { codes } from './codes';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KubeClient } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { defineResources, RESOURCES, type ResourceType } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import { customizerDeployed, CustomizerSection } from '../shared/customizer';

// Volcano's scheduling kinds: customization jobs are Volcano jobs, gang-scheduled through a PodGroup
// in a Queue (cluster-scoped, read by name).
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    podgroups: ResourceType;
    queues: ResourceType;
  }
}
defineResources({
  podgroups: {
    group: 'scheduling.volcano.sh',
    version: 'v1beta1',
    plural: 'podgroups',
    kind: 'PodGroup',
    namespaced: true,
  },
  queues: { group: 'scheduling.volcano.sh', version: 'v1beta1', plural: 'queues', kind: 'Queue', namespaced: false },
});

export const VolcanoSection = z
  .object({
    queue: z.string().default('default'),
    namespace: z.string().default('volcano-system'),
    controllers: z.array(z.string()).default(['volcano-scheduler', 'volcano-controllers']),
    schedulerName: z.string().default('volcano'),
    /** A PodGroup with no phase this long after creation was never seen by the scheduler. */
    stuckAfterSeconds: z.number().int().positive().default(120),
  })
  .prefault({});

const sections = { volcano: VolcanoSection, customizer: CustomizerSection };
type Config = ConfigOf<typeof sections>;

export const GROUP_ANNOTATION = 'scheduling.k8s.io/group-name';

export interface VolcanoSubject {
  customizer: boolean;
  /** undefined: the PodGroup CRD is not installed (Volcano is not). */
  podGroups?: KObject[];
  /** Pods for the Volcano scheduler that name no PodGroup: it never binds them. */
  ungrouped: KObject[];
}

export interface VolcanoProbe {
  queue?: KObject;
  queueError?: string;
  controllers: Array<{ name: string; deployment?: KObject; error?: string }>;
}

export function locateVolcano(snapshot: Snapshot, config: Config): VolcanoSubject {
  const podGroups = snapshot.notInstalled('podgroups') ? undefined : snapshot.list('podgroups');
  const ungrouped = snapshot
    .list('pods')
    .filter(
      (p) =>
        p.spec?.schedulerName === config.volcano.schedulerName &&
        !p.metadata?.annotations?.[GROUP_ANNOTATION] &&
        p.status?.phase === 'Pending',
    );
  return { customizer: customizerDeployed(snapshot, config), podGroups, ungrouped };
}

const condition = (pg: KObject, type: string) =>
  ((pg.status?.conditions ?? []) as Array<{ type: string; status?: string; message?: string; reason?: string }>).find(
    (c) => c.type === type && c.status !== 'False',
  );

/** Why a PodGroup is stuck, or undefined when it is being scheduled. */
export function stuckReason(pg: KObject, now: number, stuckAfterSeconds: number): string | undefined {
  const phase = pg.status?.phase as string | undefined;
  const unschedulable = condition(pg, 'Unschedulable');
  if (phase === 'Pending' && unschedulable)
    return `Pending, Unschedulable: ${unschedulable.message ?? unschedulable.reason ?? 'no message'}`;
  const age = (now - Date.parse(pg.metadata?.creationTimestamp ?? '')) / 1000;
  if (!phase && age >= stuckAfterSeconds)
    return `no phase ${Math.round(age)} s after creation: the scheduler has not seen it`;
  return undefined;
}

export function judgeVolcano(subject: VolcanoSubject, probe: VolcanoProbe, config: Config, now = Date.now()): Finding {
  const { queue: queueName, namespace } = config.volcano;
  const evidence: Evidence[] = [];
  if (!subject.customizer && !subject.podGroups?.length) return coded(codes, 'FD-VOL-001', {}, { evidence });
  const problems: CodedItem[] = [];
  if (!subject.podGroups) problems.push(item(codes, 'FD-VOL-003', {}));
  if (probe.queueError) return coded(codes, 'FD-VOL-002', { queue: queueName, error: probe.queueError }, { evidence });
  const state = probe.queue?.status?.state as string | undefined;
  evidence.push({
    label: `Queue ${queueName}`,
    value: probe.queue ? `state ${state ?? '(none)'}` : 'missing',
    tone: state === 'Open' ? 'good' : 'bad',
  });
  if (subject.podGroups && !probe.queue) problems.push(item(codes, 'FD-VOL-004', { queue: queueName }));
  else if (probe.queue && state !== 'Open')
    problems.push(item(codes, 'FD-VOL-005', { queue: queueName, state: state ?? 'without a state' }));
  for (const c of probe.controllers) {
    const ready = (c.deployment?.status?.readyReplicas ?? 0) > 0;
    evidence.push({
      label: `${namespace}/${c.name}`,
      value: c.error ?? (c.deployment ? rolloutState(c.deployment).message : 'not found'),
      tone: ready ? 'good' : 'bad',
    });
    if (c.error) continue; // unreadable: said in the evidence, not judged
    if (!c.deployment) problems.push(item(codes, 'FD-VOL-006', { controller: c.name, namespace }));
    else if (!ready) problems.push(item(codes, 'FD-VOL-007', { controller: c.name }));
  }
  const stuck = (subject.podGroups ?? []).flatMap((pg) => {
    const why = stuckReason(pg, now, config.volcano.stuckAfterSeconds);
    return why ? [`${pg.metadata?.name} (${why})`] : [];
  });
  for (const s of stuck) evidence.push({ label: 'PodGroup', value: s, tone: 'bad' });
  if (stuck.length) problems.push(item(codes, 'FD-VOL-008', { podGroups: stuck.join('; ') }));
  for (const p of subject.ungrouped)
    evidence.push({
      label: 'Pod',
      value: `${p.metadata?.name}: schedulerName ${config.volcano.schedulerName}, no ${GROUP_ANNOTATION}`,
      tone: 'bad',
    });
  if (subject.ungrouped.length)
    problems.push(item(codes, 'FD-VOL-009', { count: subject.ungrouped.length, annotation: GROUP_ANNOTATION }));
  if (problems.length) return codedList(codes, problems, { evidence }, 'Training stays at 0 %: ');
  const scheduled = (subject.podGroups ?? []).length;
  return {
    status: 'pass',
    summary: `Volcano Queue ${queueName} is Open, its controllers are ready${scheduled ? ` and ${scheduled} PodGroup(s) are being scheduled` : ''}`,
    evidence,
  };
}

/** The Queue and the Volcano controllers' Deployments, read at once (never throws). */
async function readVolcano(client: KubeClient, config: Config, signal: AbortSignal): Promise<VolcanoProbe> {
  const read = async (f: () => Promise<KObject>): Promise<{ object?: KObject; error?: string }> => {
    try {
      return { object: await f() };
    } catch (e) {
      return e instanceof KubeApiError && e.isNotFound ? {} : { error: errorMessage(e) };
    }
  };
  const [queue, ...controllers] = await Promise.all([
    read(() => client.get<KObject>(RESOURCES.queues, undefined, config.volcano.queue, { signal })),
    ...config.volcano.controllers.map((name) =>
      read(() => client.get<KObject>(RESOURCES.deployments, config.volcano.namespace, name, { signal })),
    ),
  ]);
  return {
    queue: queue.object,
    queueError: queue.error,
    controllers: config.volcano.controllers.map((name, i) => ({
      name,
      deployment: controllers[i]!.object,
      error: controllers[i]!.error,
    })),
  };
}

export default defineCheck<typeof sections, VolcanoSubject, VolcanoProbe>({
  id: 'volcano-scheduling',
  title: 'Volcano schedules the training jobs',
  area: 'NeMo Customizer',
  config: sections,
  codes,
  needs: ['podgroups', 'pods', 'deployments'],
  explain: {
    jobSignatures: [
      { pattern: /PodGroup|Volcano|queue .* (closed|not open)/i, cause: 'Volcano does not schedule the training job' },
    ],
    symptom:
      'Customization jobs are created but training stays at 0 %: no training pod runs, their PodGroups stay Pending or without a phase.',
    rootCause:
      "Customization jobs are Volcano jobs: Volcano gangs their pods through a PodGroup in a Queue. A missing or closed Queue, Volcano's scheduler or controllers not running, or pods that name no PodGroup leave every training job waiting.",
    manualFix: (c) => [
      `oc get queue ${c.volcano.queue} -o jsonpath='{.status.state}'   # must be Open`,
      `oc apply -f - <<'EOF'\napiVersion: scheduling.volcano.sh/v1beta1\nkind: Queue\nmetadata: { name: ${c.volcano.queue} }\nspec: { weight: 1, reclaimable: true }\nEOF`,
      `oc get deployment -n ${c.volcano.namespace} ${c.volcano.controllers.join(' ')}`,
      `oc get podgroups -n ${c.namespace} -o wide   # phase and conditions of each training job`,
    ],
  },
  probePermissions: (c) => [
    { verb: 'get', group: 'scheduling.volcano.sh', resource: 'queues', name: c.volcano.queue },
    ...c.volcano.controllers.map((name) => ({ verb: 'get', group: 'apps', resource: 'deployments', name })),
  ],
  locate: locateVolcano,
  // The Queue and the controllers are named by the configuration: asked with the run's lists.
  prefetch: ({ client, config, signal }) => readVolcano(client, config, signal),
  async probe({ subject, client, config, signal, prefetched }): Promise<VolcanoProbe> {
    if (!subject.customizer && !subject.podGroups?.length) return { controllers: [] };
    const found = ((await prefetched) as VolcanoProbe | undefined) ?? (await readVolcano(client, config, signal));
    // Without the PodGroup API there is no Queue to judge (its absence is the finding).
    return subject.podGroups ? found : { ...found, queue: undefined, queueError: undefined };
  },
  judge: ({ subject, probe, config }) => judgeVolcano(subject, probe, config),
});
