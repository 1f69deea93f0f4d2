// pod-health: its configuration and what is wrong with each pod.
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { GatewaySection } from '../shared/gateway';

export const PodHealthSection = z
  .object({
    restartThreshold: z.number().int().nonnegative().default(5),
    logTailLines: z.number().int().positive().max(200).default(20),
    expectedDeployments: z.array(z.string()).default([]),
  })
  .prefault({});

export const sections = { podHealth: PodHealthSection, gateway: GatewaySection };
export type Config = ConfigOf<typeof sections>;

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

export const CELERY = /celery/;

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
export function boundClaims(pod: KObject, pvcs: KObject[]): { all: boolean; names: string[] } {
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
