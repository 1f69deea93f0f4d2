import { codes } from './codes';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { FixStep } from '../../lib/engine/steps';
import { defineCheck } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { waitForObject, waitForRollout } from '../../lib/k8s/wait';
import '../shared/nim-resources';
import { CrKind, GpuSubject, Toleration, WHERE, at, locateGpu, sections, untolerated } from './subject';
import { GpuPlanData, judgeGpu, label, show, toTaints, tolerationOps } from './judge';
export * from './subject';
export * from './judge';

export default defineCheck<typeof sections, GpuSubject, undefined, GpuPlanData>({
  id: 'gpu-tolerations',
  title: "GPU workloads tolerate the GPU nodes' taints",
  area: 'GPU scheduling',
  config: sections,
  codes,
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
