import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { guardFor, restartPatch, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import { errorMessage } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import { GatewaySection } from '../shared/gateway';

export const PodHealthSection = z
  .object({
    restartThreshold: z.number().int().nonnegative().default(5),
    logTailLines: z.number().int().positive().max(200).default(20),
    expectedDeployments: z.array(z.string()).default([]),
  })
  .prefault({});

const sections = { podHealth: PodHealthSection, gateway: GatewaySection };
type Config = ConfigOf<typeof sections>;

/** Labels/names that mark a pod as part of the Data Flywheel stack. */
export function isFlywheelWorkload(name: string, labels: Record<string, string> = {}): boolean {
  if (/^df-/.test(name) || /^nemo/.test(name)) return true;
  if (labels['app.kubernetes.io/managed-by'] === 'k8s-nim-operator') return true;
  const partOf = labels['app.kubernetes.io/part-of'] ?? '';
  return /nemo|nim-service|data-flywheel/.test(partOf);
}

/** Deployments a Data Flywheel namespace cannot work without (chart 0.3.1 names), plus the gateway. */
export function expectedDeployments(config: Config): string[] {
  if (config.podHealth.expectedDeployments.length) return config.podHealth.expectedDeployments;
  return [
    'df-api-deployment',
    'df-celery-worker-deployment',
    'df-celery-parent-worker-deployment',
    config.gateway.deployment,
  ];
}

const CELERY = /celery/;

export interface PodProblem {
  pod: string;
  container?: string;
  workload?: string;
  severity: 'fail' | 'warn';
  what: string;
  /** The container exited abnormally: its last log lines are evidence. */
  crashed?: boolean;
}

/** Owning Deployment of a pod via its ReplicaSet name (pod-template-hash), without extra reads. */
export function owningDeployment(pod: KObject, deployments: KObject[]): string | undefined {
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!rs || !hash) return undefined;
  const name = rs.endsWith(`-${hash}`) ? rs.slice(0, -(hash.length + 1)) : undefined;
  return deployments.find((d) => d.metadata?.name === name)?.metadata?.name;
}

export function relevantPods(snapshot: Snapshot, config: Config): KObject[] {
  const deployments = snapshot.list('deployments');
  const expected = new Set(expectedDeployments(config));
  return snapshot.list('pods').filter((p) => {
    if (p.metadata?.labels?.['flywheel-doctor.dev/role']) return false; // our own probe pods
    if (p.status?.phase === 'Succeeded') return false; // finished jobs
    const dep = owningDeployment(p, deployments);
    return (
      isFlywheelWorkload(p.metadata?.name ?? '', p.metadata?.labels) ||
      (dep !== undefined && (expected.has(dep) || isFlywheelWorkload(dep)))
    );
  });
}

/** PVCs a pod mounts that are Bound now (the scheduler's "unbound" message may be older than that). */
function boundClaims(pod: KObject, pvcs: KObject[]): { all: boolean; names: string[] } {
  const names = ((pod.spec?.volumes ?? []) as Array<{ persistentVolumeClaim?: { claimName: string } }>)
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => !!n);
  const bound = names.filter((n) => pvcs.find((c) => c.metadata?.name === n)?.status?.phase === 'Bound');
  return { all: names.length > 0 && bound.length === names.length, names };
}

export function podProblems(
  pod: KObject,
  deployments: KObject[],
  restartThreshold: number,
  pvcs: KObject[] = [],
): PodProblem[] {
  const name = pod.metadata?.name ?? '?';
  const workload = owningDeployment(pod, deployments);
  const out: PodProblem[] = [];
  const push = (severity: 'fail' | 'warn', what: string, container?: string, crashed = false) =>
    out.push({ pod: name, container, workload, severity, what, crashed });
  if (pod.metadata?.deletionTimestamp) return out; // terminating during a rollout
  if (pod.status?.phase === 'Pending') {
    const sched = (pod.status?.conditions ?? []).find(
      (c: { type: string; status: string }) => c.type === 'PodScheduled' && c.status === 'False',
    );
    const message: string = sched?.message ?? sched?.reason ?? 'no reason given';
    const claims = boundClaims(pod, pvcs);
    if (sched && /unbound.*PersistentVolumeClaim/i.test(message) && claims.all) {
      // The condition is the scheduler's last word; the claims were bound since, so it will retry.
      push(
        'warn',
        `Pending: the scheduler last reported unbound claims, but ${claims.names.join(', ')} ${claims.names.length === 1 ? 'is' : 'are'} Bound now; it should be scheduled on its next attempt`,
      );
    } else if (sched) push('fail', `Pending, not scheduled: ${message}`);
  }
  if (pod.status?.phase === 'Failed')
    push('fail', `Failed: ${pod.status?.reason ?? ''} ${pod.status?.message ?? ''}`.trim());
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = cs.state?.waiting;
    const last = cs.lastState?.terminated;
    if (waiting?.reason === 'CrashLoopBackOff')
      push(
        'fail',
        `CrashLoopBackOff (${cs.restartCount} restarts${last ? `, last exit code ${last.exitCode}${last.reason ? ` ${last.reason}` : ''}` : ''})`,
        cs.name,
        true,
      );
    else if (waiting?.reason && /ImagePullBackOff|ErrImagePull|InvalidImageName/.test(waiting.reason))
      push('fail', `${waiting.reason}: ${waiting.message ?? cs.image}`, cs.name);
    else if (waiting?.reason === 'CreateContainerConfigError')
      push(
        'fail',
        `CreateContainerConfigError: ${waiting.message ?? 'a referenced Secret or ConfigMap (or key) is missing'}`,
        cs.name,
      );
    else if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing')
      push('fail', `${waiting.reason}: ${waiting.message ?? ''}`, cs.name);
    else if (!cs.ready && (cs.restartCount ?? 0) >= 1 && last && last.exitCode !== 0 && cs.state?.running) {
      // Caught between crashes: restarted after a failure and not ready yet is the same crash loop.
      push(
        'fail',
        `restarting after a crash (${cs.restartCount} restarts, last exit code ${last.exitCode}${last.reason ? ` ${last.reason}` : ''})`,
        cs.name,
        true,
      );
    }
    if (last?.reason === 'OOMKilled') push('fail', `last run was OOMKilled: raise the memory limit`, cs.name, true);
    if ((cs.restartCount ?? 0) > restartThreshold && waiting?.reason !== 'CrashLoopBackOff')
      push('warn', `${cs.restartCount} restarts (threshold ${restartThreshold})`, cs.name);
  }
  const running = pod.status?.phase === 'Running';
  const ready = (pod.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );
  if (running && !ready && out.length === 0) push('warn', 'Running but not Ready');
  return out;
}

/** Problems of every relevant pod (judge, probe and fix plan all start from this). */
export function podProblemsIn(snapshot: Snapshot, config: Config): PodProblem[] {
  const deployments = snapshot.list('deployments');
  const pvcs = snapshot.list('persistentvolumeclaims');
  return relevantPods(snapshot, config).flatMap((p) =>
    podProblems(p, deployments, config.podHealth.restartThreshold, pvcs),
  );
}

/** What this check is about: the stack's pods and Deployments and what is wrong with them. */
export interface PodHealthSubject {
  podsChecked: number;
  /** Problems of pods, then of expected Deployments (missing, unavailable). */
  problems: PodProblem[];
  deployments: KObject[];
}

export function locatePodHealth(snapshot: Snapshot, config: Config): PodHealthSubject {
  const deployments = snapshot.list('deployments');
  const problems = podProblemsIn(snapshot, config);
  for (const name of expectedDeployments(config)) {
    const d = deployments.find((x) => x.metadata?.name === name);
    if (!d) {
      problems.push({ pod: '-', workload: name, severity: 'fail', what: `expected Deployment ${name} is missing` });
      continue;
    }
    const want = d.spec?.replicas ?? 1;
    const avail = d.status?.availableReplicas ?? 0;
    if (want > 0 && avail < want)
      problems.push({
        pod: '-',
        workload: name,
        severity: 'fail',
        what: `Deployment ${name}: ${avail}/${want} replicas available`,
      });
  }
  return { podsChecked: relevantPods(snapshot, config).length, problems, deployments };
}

export interface PodHealthProbe {
  /** pod/container -> last log lines of a crashing container (bounded). */
  logs: Record<string, string>;
}

export function judgePodHealth(
  { podsChecked, problems }: PodHealthSubject,
  probe: PodHealthProbe,
  config: Config,
): Finding {
  const evidence: Evidence[] = [
    { label: 'Pods checked', value: `${podsChecked} (Data Flywheel, NeMo, gateway, datastores, NIMs)` },
  ];
  for (const p of problems) {
    const label = p.pod === '-' ? (p.workload ?? 'workload') : `${p.pod}${p.container ? ` / ${p.container}` : ''}`;
    evidence.push({ label, value: p.what, tone: p.severity === 'fail' ? 'bad' : 'info' });
    const log = probe.logs[`${p.pod}/${p.container}`];
    if (log) evidence.push({ label: `Last log lines of ${p.pod}/${p.container}`, value: log, code: true });
  }
  if (problems.some((p) => p.severity === 'fail')) {
    const failing = [...new Set(problems.filter((p) => p.severity === 'fail').map((p) => p.workload ?? p.pod))];
    return { status: 'fail', summary: `Unhealthy: ${failing.join(', ')}`, evidence };
  }
  if (problems.length) {
    return {
      status: 'warn',
      summary: `${problems.length} warning(s): ${problems.map((p) => `${p.pod}: ${p.what}`).join('; ')}`,
      evidence,
    };
  }
  if (!podsChecked)
    return { status: 'warn', summary: `No Data Flywheel or NeMo pods found in ${config.namespace}`, evidence };
  return { status: 'pass', summary: `All ${podsChecked} pods are running and ready`, evidence };
}

interface RestartPlanData {
  deployments: string[];
}

/** Deployments that exist and whose pods have problems a restart can clear. */
function restartTargets({ problems, deployments }: PodHealthSubject): string[] {
  const existing = new Set(deployments.map((d) => d.metadata?.name));
  return [
    ...new Set(problems.filter((p) => p.pod !== '-' && p.workload && existing.has(p.workload)).map((p) => p.workload!)),
  ];
}

export default defineCheck<typeof sections, PodHealthSubject, PodHealthProbe, RestartPlanData>({
  id: 'pod-health',
  title: 'Data Flywheel and NeMo pods are healthy',
  area: 'Workloads',
  config: sections,
  needs: ['pods', 'deployments', 'persistentvolumeclaims'],
  probePermissions: (c) => [{ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: c.namespace }],
  explain: {
    jobSignatures: [
      {
        pattern: /Cancelled by cleanup manager/,
        cause: 'a flywheel worker restarted (its shutdown cancels every pending and running job)',
      },
    ],
    symptom:
      'Flywheel jobs stay pending or fail; pods show CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError, OOMKilled or Pending.',
    rootCause:
      'No df-* container has probes, so Running does not mean healthy. The API and Celery workers exit after 3 failed LLM-judge calls (bad NVIDIA_API_KEY, blocked egress); missing Secrets stop containers from starting; a worker may keep crashing on state left by an earlier failure.',
    manualFix: (c) => [
      `oc get pods -n ${c.namespace}`,
      `oc describe pod <pod> -n ${c.namespace}`,
      `oc logs <pod> -n ${c.namespace} --previous --tail=50`,
      `oc rollout restart deployment/<deployment> -n ${c.namespace}   # restarting df-celery-worker-deployment cancels running flywheel jobs`,
    ],
  },
  locate: locatePodHealth,
  async probe({ subject, config, client, signal }) {
    const logs: Record<string, string> = {};
    const crashing = subject.problems.filter((x) => x.container && x.crashed);
    await Promise.all(
      crashing.slice(0, 5).map(async (x) => {
        const opts = { tailLines: config.podHealth.logTailLines, limitBytes: 8192 };
        try {
          const text = await client
            .podLog(config.namespace, x.pod, x.container!, { ...opts, previous: true })
            .catch(() => client.podLog(config.namespace, x.pod, x.container!, opts));
          logs[`${x.pod}/${x.container}`] = text.trimEnd() || '(empty log)';
        } catch (err) {
          if (signal.aborted) throw err;
          logs[`${x.pod}/${x.container}`] = `(log not available: ${errorMessage(err)})`;
        }
      }),
    );
    return { logs };
  },
  judge: ({ subject, probe, config }) => judgePodHealth(subject, probe, config),
  fix: {
    description:
      'Restart the unhealthy Deployments (rollout restart) and wait for them; warns first when that cancels flywheel jobs.',
    available: ({ subject }) =>
      restartTargets(subject).length > 0 || {
        reason: `nothing a restart can fix: ${subject.problems.map((p) => p.what).join('; ')} (missing Deployments need a redeploy)`,
      },
    permissions: (c) => [{ verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace }],
    plan({ subject, finding, target }) {
      const all = restartTargets(subject);
      // Per workload: the user may restart just one of the unhealthy Deployments.
      const targets = target ? all.filter((t) => t === target) : all;
      const objs = targets.map((t) => subject.deployments.find((d) => d.metadata?.name === t)!).filter(Boolean);
      const base = { data: { deployments: targets }, targets: all };
      if (!objs.length) {
        const noop = finding.status === 'pass';
        const summary = noop
          ? 'All pods are healthy'
          : 'Nothing a restart can fix: see the evidence (missing Deployments need a redeploy)';
        return { ...base, noop, summary, changes: [], risks: [], guards: [] };
      }
      const risks = objs.map((d) => `Restarts ${d.metadata?.name} (new pods replace the current ones).`);
      if (targets.some((t) => CELERY.test(t))) {
        risks.unshift(
          'Restarting the Celery workers marks every pending or running flywheel job as cancelled (workers start with --purge).',
        );
      }
      return {
        ...base,
        noop: false,
        summary: `Restart ${targets.join(', ')}`,
        changes: objs.map((d) => ({
          target: targetOf('Deployment', d),
          action: 'restart' as const,
          description: 'rollout restart (pod template annotation kubectl.kubernetes.io/restartedAt)',
          patch: restartPatch(d, '<now>'),
        })),
        risks,
        guards: objs.map((d) => guardFor('Deployment', d).guard),
      };
    },
    async readBack({ reader, config, signal, subject }, plan) {
      return Promise.all(
        plan.data.deployments.map(async (name) => {
          const before = subject.deployments.find((d) => d.metadata?.name === name)?.metadata?.generation ?? 0;
          const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, name, { signal });
          // A restart bumps the spec generation (applied); then that generation rolls out.
          const restarted = (d.metadata?.generation ?? 0) > before;
          const rollout = rolloutState(d);
          return [
            { step: `${name} restart applied (new generation)`, done: restarted },
            {
              step: `${name} rolled out${restarted && !rollout.done ? ` (${rollout.message})` : ''}`,
              done: restarted && rollout.done,
            },
          ];
        }),
      ).then((s) => s.flat());
    },
    // One restart per workload; each waits for its rollout (a full pod quota fails it at once, with the cause).
    steps(_ctx, plan) {
      return plan.data.deployments.map((name) => ({
        kind: 'restart' as const,
        label: `restart Deployment ${name}`,
        deployment: name,
      }));
    },
  },
});
