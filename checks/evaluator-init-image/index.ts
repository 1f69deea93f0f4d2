import { codes } from './codes';
import { guardFor, show, targetOf } from '../../lib/engine/plan-helpers';
import { defineCheck } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState, waitForRollout } from '../../lib/k8s/wait';
import { envVarPatch } from '../shared/evaluator';
import { EVALUATOR_IMAGE_ENV, EVAL_CONTAINER_ENV, migrationVariable } from './version';
import { InitPlanData, InitSubject, carried, envValue, judgeInit, locateInitSubject, sections } from './judge';
export * from './version';
export * from './judge';

export default defineCheck<typeof sections, InitSubject, undefined, InitPlanData>({
  id: 'evaluator-init-image',
  title: "The evaluator's migration init container knows its image",
  area: 'NeMo Evaluator',
  config: sections,
  codes,
  needs: ['deployments', 'nemoevaluators', 'pods'],
  explain: {
    jobSignatures: [
      {
        pattern: /EVALUATOR_IMAGE is not set/,
        cause: "the evaluator's migration init container has no EVALUATOR_IMAGE",
      },
    ],
    symptom:
      'The evaluator pod stays in Init:CrashLoopBackOff; the init container evaluator-db-migration logs "Environment variable EVALUATOR_IMAGE is not set".',
    rootCause:
      "Evaluator 25.12 runs its database migration in an init container that needs EVALUATOR_IMAGE. NIM Operator 3.0.x-3.1.x renders that init container without the CR's spec.env, and drops any edit to it on every re-render.",
    manualFix: (c) => [
      `oc get deployment ${c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} -o jsonpath='{range .spec.template.spec.initContainers[*]}{.name}{"\\n"}{end}'   # find the index of ${c.evaluatorInit.initContainer} (usually 1, after wait-for-postgres)`,
      `oc patch deployment ${c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} --type=json -p '[{"op":"test","path":"/spec/template/spec/initContainers/<index>/name","value":"${c.evaluatorInit.initContainer}"},{"op":"add","path":"/spec/template/spec/initContainers/<index>/env/-","value":{"name":"EVALUATOR_IMAGE","value":"<repository>:<tag> of the NemoEvaluator image"}}]'`,
      '# repeat after every NemoEvaluator change or NeMo redeploy: the operator drops it',
    ],
  },
  locate: locateInitSubject,
  judge: ({ subject, config }) => judgeInit(subject, config),
  fix: {
    description:
      "Add EVALUATOR_IMAGE (the CR's image) to the init container found by name, guarded by a test on its name, then wait for the rollout. Applied after fixes that patch the NemoEvaluator CR, whose re-render would drop it.",
    touches: ['evaluator-deployment'],
    undoneBy: ['NemoEvaluator'],
    available({ subject, config }) {
      if (!subject.image)
        return { reason: 'the evaluator image is not known (no CR image, no container image): set it by hand' };
      const band = migrationVariable(subject.image, config.evaluatorInit.evaluatorImageFrom);
      if ('reads' in band && band.reads === EVAL_CONTAINER_ENV)
        return {
          reason: `evaluator ${band.band} reads ${EVAL_CONTAINER_ENV}; adding ${EVALUATOR_IMAGE_ENV} would change nothing`,
        };
      // Already set to the evaluator's image: only the rollout is missing, there is nothing to patch.
      if (envValue(subject.init) === subject.image)
        return {
          reason: `${EVALUATOR_IMAGE_ENV} is already set; the rollout that carries it is still in progress: wait for it`,
        };
      return true;
    },
    permissions: (c) => [{ verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace }],
    plan({ subject, config, finding }) {
      const value = subject.image!;
      if (finding.status === 'pass')
        return {
          noop: true,
          summary: `${EVALUATOR_IMAGE_ENV} is already set`,
          changes: [],
          risks: [],
          guards: [],
          data: { ops: [], value },
        };
      const dep = subject.deployment!;
      const { guard, test } = guardFor('Deployment', dep);
      const base = `/spec/template/spec/initContainers/${subject.initIndex}`;
      const ops: JsonPatchOp[] = [
        test,
        { op: 'test', path: `${base}/name`, value: config.evaluatorInit.initContainer },
        ...envVarPatch(`${base}/env`, subject.init!.env, EVALUATOR_IMAGE_ENV, value),
      ];
      return {
        noop: false,
        summary: `Patch Deployment ${subject.deploymentName}: ${EVALUATOR_IMAGE_ENV}=${value} on init container ${config.evaluatorInit.initContainer}`,
        changes: [
          {
            target: targetOf('Deployment', dep),
            action: 'patch',
            description: `set env ${EVALUATOR_IMAGE_ENV} on init container ${config.evaluatorInit.initContainer} (found by name, position ${subject.initIndex + 1})`,
            patch: ops,
            before: show(envValue(subject.init)),
            after: value,
          },
        ],
        risks: [
          `Restarts the evaluator (rolling update of ${subject.deploymentName}).`,
          ...(subject.cr
            ? [
                'Lives on the Deployment only: the next operator re-render (any NemoEvaluator change, any NeMo redeploy) drops it; Fix all applies it after CR patches, and a re-run shows when it is gone.',
              ]
            : []),
        ],
        guards: [guard],
        data: { ops, value },
      };
    },
    async readBack({ subject, config, reader, signal }, plan) {
      const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, subject.deploymentName, { signal });
      return [
        {
          step: `init container carries ${EVALUATOR_IMAGE_ENV}=${plan.data.value}`,
          done: carried(d, config) === plan.data.value,
        },
        { step: `Deployment ${subject.deploymentName} rolled out`, done: rolloutState(d).done },
      ];
    },
    steps({ subject, config, reader }, plan) {
      return [
        {
          kind: 'patch',
          label: `patch Deployment ${subject.deploymentName}: init container env`,
          resource: 'deployments',
          name: subject.deploymentName,
          ops: plan.data.ops,
          settle: (signal, progress) =>
            waitForRollout(reader, config.namespace, subject.deploymentName, config.rolloutTimeoutMs, signal, progress),
        },
      ];
    },
  },
});
