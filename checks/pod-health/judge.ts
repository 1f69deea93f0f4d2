// pod-health: the subject and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import type { Snapshot } from '../../lib/engine/snapshot';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { Config, PodProblem, expectedDeployments, podProblemsIn, relevantPods } from './problems';

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
    return coded(codes, 'FD-POD-001', { workloads: failing.join(', ') }, { evidence });
  }
  if (problems.length) {
    const listed = problems.map((p) => `${p.pod}: ${p.what}`).join('; ');
    return coded(codes, 'FD-POD-002', { count: problems.length, problems: listed }, { evidence });
  }
  if (!podsChecked) return coded(codes, 'FD-POD-003', { namespace: config.namespace }, { evidence });
  return { status: 'pass', summary: `All ${podsChecked} pods are running and ready`, evidence };
}

export interface RestartPlanData {
  deployments: string[];
}

/** Deployments that exist and whose pods have problems a restart can clear. */
export function restartTargets({ problems, deployments }: PodHealthSubject): string[] {
  const existing = new Set(deployments.map((d) => d.metadata?.name));
  return [
    ...new Set(problems.filter((p) => p.pod !== '-' && p.workload && existing.has(p.workload)).map((p) => p.workload!)),
  ];
}
