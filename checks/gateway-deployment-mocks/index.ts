import { codes } from './codes';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import { defineCheck, type PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import { fetchAnswer } from '../shared/entity-store';
import { gatewayEditSteps } from '../shared/gateway';
import { applyBlockEdits, exactAnswerBlock, configTextPatch } from '../shared/gateway-config';
import { COLLECTION_PATH, DeploymentSubject, locateDeploymentSubject, sections } from './subject';
import { DeploymentPlanData, DeploymentProbe, answerProblem, configuredRight, judgeDeployments } from './judge';
export * from './subject';
export * from './judge';

export default defineCheck<typeof sections, DeploymentSubject, DeploymentProbe, DeploymentPlanData>({
  id: 'gateway-deployment-mocks',
  title: 'Gateway answers the deployment-management calls for pre-deployed NIMs',
  area: 'Gateway',
  config: sections,
  codes,
  needs: ['configmaps', 'deployments'],
  explain: {
    jobSignatures: [
      {
        pattern: /Deployment did not complete within \d+ seconds|404\b[^\n]*\/v1\/deployment\/model-deployments/,
        cause: 'the gateway gave no deployment-management answer for the NIM',
      },
    ],
    symptom: "Every NIM fails at spin-up; the job's nims[].error holds a 404 from /v1/deployment/model-deployments.",
    rootCause:
      'The flywheel asks the NeMo deployment-management API whether each NIM is deployed, and deploys it if not. With NIMs pre-deployed by the NIM Operator there is no such service: the gateway must answer both calls (the status as "ready", the deployment request with success). The port\'s current chart has no /v1/deployment route at all.',
    manualFix: (c) => [
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # add inside the server block: location = ${COLLECTION_PATH} { default_type application/json; return 200 '{"object":"list","data":[],"config":"nim-operator","url":"","status_details":{"status":"ready"}}'; } and location ~ ^${COLLECTION_PATH}/([^/]+)/([^/]+)$ { default_type application/json; return 200 '{"name":"$2","namespace":"$1","config":"$1/$2","url":"","status_details":{"status":"ready"}}'; }`,
      `oc rollout restart deployment/${c.gateway.deployment} -n ${c.namespace}`,
    ],
  },
  locate: locateDeploymentSubject,
  async probe({ subject, signal }) {
    return {
      answers: await Promise.all(
        subject.paths.map(async (p) => ({
          model: p.model ?? '',
          path: p.path,
          ...(await fetchAnswer(subject.gatewayUrl, p.path, signal)),
        })),
      ),
    };
  },
  judge: ({ subject, probe, config }) => judgeDeployments(subject, probe, config),
  fix: {
    description:
      'Add an exact-match location answering each missing call (the NIM\'s status as "ready", the deployment request with success) to the gateway ConfigMap, then restart the gateway; exact matches win over every regex and prefix.',
    touches: ['gateway-config'],
    available({ subject, config }) {
      if (!subject.configMap) return { reason: `ConfigMap ${config.gateway.configMap} does not exist` };
      if (!subject.deployment) return { reason: `Deployment ${config.gateway.deployment} does not exist` };
      if (!subject.view) return { reason: 'the gateway config cannot be parsed' };
      if (!subject.view.server) return { reason: 'nginx.conf has no server block to add a location to' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config }) {
      const cm = subject.configMap!;
      const { guard, test } = guardFor('ConfigMap', cm);
      const failing = subject.paths.filter((p) =>
        answerProblem(
          p,
          probe.answers.find((a) => a.path === p.path)!,
        ),
      );
      if (!failing.length)
        return {
          noop: true,
          summary: 'The gateway answers every call',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [], restart: false, paths: [] },
        };
      const edit = failing.filter((p) => !configuredRight(subject.view, p));
      const conf = subject.view!.conf;
      const next = edit.length
        ? applyBlockEdits(
            subject.view!,
            edit.map((p) => ({
              path: p.path,
              build: (indent) =>
                exactAnswerBlock(
                  p.path,
                  p.body,
                  `Deployment-management answer for pre-deployed NIMs (added by Flywheel Doctor)`,
                  indent,
                ),
            })),
          )
        : conf;
      const ops: JsonPatchOp[] = edit.length ? configTextPatch(test, config.gateway.configKey, conf, next) : [];
      const changes: PlannedChange[] = [];
      if (edit.length)
        changes.push({
          target: targetOf('ConfigMap', cm),
          action: 'patch',
          description: `${config.gateway.configKey}: exact-match answers for ${edit.map((p) => p.path).join(', ')}`,
          before: conf,
          after: next,
          patch: ops,
        });
      changes.push({
        target: targetOf('Deployment', subject.deployment!),
        action: 'restart',
        description: 'rollout restart so nginx loads the config',
      });
      return {
        noop: false,
        summary: edit.length
          ? `Answer ${edit.length} deployment-management call${edit.length > 1 ? 's' : ''} in ConfigMap ${config.gateway.configMap} and restart ${config.gateway.deployment}`
          : `Only restart ${config.gateway.deployment}: the ConfigMap already answers`,
        changes,
        risks: [
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        ],
        guards: [guard, guardFor('Deployment', subject.deployment!).guard],
        data: { ops, restart: true, paths: failing },
      };
    },
    steps({ subject, config }, plan) {
      return gatewayEditSteps(config, plan.data.ops, 'deployment mocks', async (signal) => {
        const answers = await Promise.all(plan.data.paths.map((p) => fetchAnswer(subject.gatewayUrl, p.path, signal)));
        return plan.data.paths.every((p, i) => !answerProblem(p, answers[i]!));
      });
    },
  },
});
