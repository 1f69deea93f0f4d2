import { codes } from './codes';
import { guardFor, restartPatch, targetOf } from '../../lib/engine/plan-helpers';
import { defineCheck } from '../../lib/engine/types';
import { errorMessage } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import { CELERY, sections } from './problems';
import {
  PodHealthProbe,
  PodHealthSubject,
  RestartPlanData,
  judgePodHealth,
  locatePodHealth,
  restartTargets,
} from './judge';
export * from './problems';
export * from './judge';

export default defineCheck<typeof sections, PodHealthSubject, PodHealthProbe, RestartPlanData>({
  id: 'pod-health',
  title: 'Data Flywheel and NeMo pods are healthy',
  area: 'Workloads',
  config: sections,
  codes,
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
