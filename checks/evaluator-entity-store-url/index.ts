import { codes } from './codes';
import { defineCheck } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import {
  effectiveEnv,
  ENTITY_STORE_ENV,
  crEnvPlan,
  deploymentEnvPlan,
  type EnvPlanData,
  crPatchBlocked,
  evaluatorEnvStep,
} from '../shared/evaluator';
import { judgeAnswer } from '../shared/entity-store';
import { crEnvValue, gatewayUrl, sections } from './url';
import { EntityStoreSubject, locateEntityStoreSubject } from './subject';
import { UrlProbe, probeEntityStoreUrl } from './probe';
import { judgeEntityStoreUrl, judgedByBehaviour } from './judge';
import { carriesGatewayUrl, isGateway } from './fix-support';
export * from './url';
export * from './subject';
export * from './probe';
export * from './judge';
export * from './fix-support';

export default defineCheck<typeof sections, EntityStoreSubject, UrlProbe, EnvPlanData>({
  id: 'evaluator-entity-store-url',
  title: "Evaluator's ENTITY_STORE_URL answers for every base model",
  area: 'NeMo Evaluator',
  config: sections,
  codes,
  needs: ['deployments', 'configmaps', 'nemoevaluators', 'services', 'nimservices', 'secrets'],
  // Through the gateway, the verdict is what the gateway answers.
  dependsOn: ['gateway-models'],
  explain: {
    jobSignatures: [
      {
        pattern: /404\b[^\n]*\/v1\/models\/([\w\-.]+\/[\w\-.@:+]+)/,
        cause: 'the evaluator got no record for $1 (a 404 from its ENTITY_STORE_URL)',
      },
      { pattern: /Model ([\w\-.]+\/[\w\-.@:+]+) not found/, cause: 'the evaluator got no record for $1' },
      { pattern: /namespace="" fails pattern/, cause: 'the record the evaluator got has an empty namespace' },
      {
        pattern: /The model (default\/\S+?) does not exist/,
        cause: 'the evaluator looked the model up as $1: the record it got names no namespace',
      },
    ],
    symptom:
      'base-eval / icl-eval fail with "404 ... /v1/models/meta/llama-3.2-1b-instruct", "namespace=\\"\\" fails pattern", or "The model default/... does not exist".',
    rootCause:
      'The evaluator looks up every model with GET $ENTITY_STORE_URL/v1/models/<namespace>/<name>. Base NIMs deployed by the operator are registered nowhere by default: in the mock gateway generation only the nemo-gateway answers for them, so the URL must be the gateway; in the proxy generation the Entity Store answers once they are registered. A NeMo redeploy resets ENTITY_STORE_URL to the Entity Store.',
    manualFix: (c) => {
      const dep = c.evaluator.deployment ?? c.evaluator.crName;
      return [
        `oc patch nemoevaluator ${c.evaluator.crName} -n ${c.namespace} --type=json -p '[{"op":"add","path":"/spec/env/-","value":{"name":"ENTITY_STORE_URL","value":"http://${c.gateway.service}"}}]'   # durable (operator path; use "add /spec/env" with a list if spec.env is absent)`,
        `oc set env deployment/${dep} -n ${c.namespace} ENTITY_STORE_URL="http://${c.gateway.service}"   # helm path, or until the next operator re-render`,
        `oc rollout status deployment/${dep} -n ${c.namespace}`,
      ];
    },
  },
  locate: locateEntityStoreSubject,
  probe: ({ subject, snapshot, config, signal }) => probeEntityStoreUrl(subject, snapshot, config, signal),
  judge: ({ subject, snapshot, config, probe }) => judgeEntityStoreUrl(subject, snapshot, config, probe),
  fix: {
    touches: ['NemoEvaluator'],
    description:
      'Set ENTITY_STORE_URL=http://nemo-gateway on the NemoEvaluator CR (spec.env, survives operator re-renders), or on the Deployment when no CR owns it, then wait for the rollout.',
    permissions: (c) => [
      { verb: 'patch', group: 'apps.nvidia.com', resource: 'nemoevaluators', namespace: c.namespace },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace },
    ],
    available({ subject: ev, snapshot, config, finding, probe }) {
      const blocked = ev.flavour === 'operator' ? crPatchBlocked(ev.cr, snapshot) : undefined;
      if (blocked) return blocked;
      const value = ev.container ? effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot)?.value : undefined;
      if (finding.status === 'fail' && judgedByBehaviour(probe) && value !== undefined) {
        const failing = probe.answers.filter((a) => judgeAnswer(a).length).map((a) => a.model);
        if (isGateway(value, config, ev.gatewayPorts))
          return {
            reason: `${ENTITY_STORE_ENV} already points at the gateway; the gateway is what answers no valid record for ${failing.join(', ')}: fix check gateway-models`,
          };
        const gatewayFails = probe.gatewayAnswers.filter((a) => failing.includes(a.model) && judgeAnswer(a).length);
        if (gatewayFails.length && ev.generation === 'proxy')
          return {
            reason: `the gateway forwards model lookups to the same Entity Store and answers no better for ${gatewayFails.map((a) => a.model).join(', ')}: register the models (check gateway-models); ${value} then passes as it is`,
          };
      }
      // A warning with the CR already right leaves nothing to patch: say what instead.
      const crOk = !ev.cr || isGateway(crEnvValue(ev.cr), config, ev.gatewayPorts);
      if (finding.status !== 'warn' || !crOk || !ev.container) return true;
      const unknown = effectiveEnv(ENTITY_STORE_ENV, ev.container, snapshot)?.unknownReason;
      if (unknown)
        return { reason: `the value cannot be read (${unknown}), so overriding it is your decision: set it by hand` };
      return {
        reason:
          'ENTITY_STORE_URL already points at the gateway; the rollout that carries it is still in progress: wait for it',
      };
    },
    plan({ subject: ev, snapshot, config, finding, probe }) {
      const { deployment, container } = ev;
      if (!deployment || !container) throw new Error(finding.summary);
      if (finding.status === 'pass') {
        const data = { kind: 'deployment' as const, name: ev.deploymentName, ops: [], value: '' };
        return {
          noop: true,
          summary: 'ENTITY_STORE_URL already points at the gateway',
          changes: [],
          risks: [],
          guards: [],
          data,
        };
      }
      const want = gatewayUrl(config);
      const plan = ev.cr
        ? crEnvPlan({ ...ev, cr: ev.cr }, ENTITY_STORE_ENV, want, crEnvValue(ev.cr))
        : deploymentEnvPlan(
            { ...ev, deployment, container },
            ENTITY_STORE_ENV,
            want,
            effectiveEnv(ENTITY_STORE_ENV, container, snapshot)?.value,
            ev.flavour === 'helm'
              ? 'A later helm upgrade resets it unless evaluator.external.entityStore.endpoint is set in your values.'
              : 'Set only on the Deployment: a redeploy may reset it.',
          );
      const gatewayFails = (probe?.gatewayAnswers ?? []).filter((a) => judgeAnswer(a).length).map((a) => a.model);
      if (gatewayFails.length)
        plan.risks.push(
          `The gateway does not answer a valid record for ${gatewayFails.join(', ')} yet either: this check passes once check gateway-models is fixed too (Fix all applies that first).`,
        );
      return plan;
    },
    async readBack({ subject: ev, config, reader, signal }, plan) {
      const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, ev.deploymentName, { signal });
      const carried = carriesGatewayUrl(d, ev, config);
      const state = [
        { step: `Deployment ${ev.deploymentName} carries ${ENTITY_STORE_ENV} for the gateway`, done: carried },
        { step: `Deployment ${ev.deploymentName} rolled out`, done: carried && rolloutState(d).done },
      ];
      if (plan.data.kind === 'cr') {
        const cr = await reader.get<KObject>(RESOURCES.nemoevaluators, config.namespace, plan.data.name, { signal });
        state.unshift({
          step: `NemoEvaluator ${plan.data.name} spec.env set`,
          done: isGateway(crEnvValue(cr), config, ev.gatewayPorts),
        });
      }
      return state;
    },
    steps({ subject: ev, config, reader }, plan) {
      return [
        evaluatorEnvStep(
          { reader, config },
          { ...plan.data, deployment: ev.deployment ?? ev.deploymentName },
          {
            name: ENTITY_STORE_ENV,
            rendered: (d) => carriesGatewayUrl(d, ev, config),
            what: `the new ${ENTITY_STORE_ENV}`,
          },
        ),
      ];
    },
  },
});
