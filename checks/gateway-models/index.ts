import { codes } from './codes';
import type { FixStep } from '../../lib/engine/steps';
import '../shared/nim-resources';
import { defineCheck } from '../../lib/engine/types';
import { fetchAnswer, isModelId, judgeAnswer, probeModels, registrationSteps } from '../shared/entity-store';
import { gatewayEditSteps } from '../shared/gateway';
import { classifyAll } from './classify';
import { planGatewayFix, readBackGatewayFix, type GatewayPlanData } from './plan';
import { brokenPart, judgeGateway } from './judge';
import { curlIn } from './manual';
import { needsEdit } from './mocks';
import {
  answersJson,
  locateGatewaySubject,
  sections,
  type Config,
  type GatewayProbe,
  type GatewaySubject,
} from './subject';

export { classifyAll, classifyModel, type ModelCase } from './classify';
export { brokenPart, judgeGateway } from './judge';
export { editedConfig, mockLocationBlock, mockModelJson } from './mocks';
export { locateGatewaySubject, type GatewayProbe, type GatewaySubject } from './subject';

/** Sending requests to the gateway Service is what registering through it means in RBAC terms. */
const gatewayProxyAccess = (config: Config) => ({
  verb: 'create',
  group: '',
  resource: 'services',
  subresource: 'proxy',
  namespace: config.namespace,
  name: config.gateway.service,
});

export default defineCheck<typeof sections, GatewaySubject, GatewayProbe, GatewayPlanData>({
  id: 'gateway-models',
  aliases: ['gateway-model-mocks'],
  title: 'Gateway answers model metadata for every base model',
  area: 'Gateway',
  config: sections,
  codes,
  needs: ['configmaps', 'nimservices', 'deployments', 'pods'],
  // In the proxy generation every lookup goes through the upstream path that check owns.
  dependsOn: ['gateway-upstreams'],
  explain: {
    symptom:
      'Base-model evaluations fail with 404 for /v1/models/<namespace>/<model> even though ENTITY_STORE_URL points at the gateway.',
    rootCause:
      'The evaluator looks every model up at /v1/models/<namespace>/<name>. In the mock generation of nemo-gateway (the troubleshooting guide) base NIMs are answered by one mock `location` per model: a model without one falls to the catch-all 404, a mock placed after a broader regex is never served, and a changed ConfigMap is served only after the gateway restarts. In the proxy generation (the OpenShift port today) every model path goes to the Entity Store, where base models must be registered; nobody registers them automatically.',
    manualFix: (c) => [
      `oc get configmap ${c.gateway.configMap} -n ${c.namespace} -o jsonpath='{.data.nginx\\.conf}' | grep -n 'location'   # a "~ ^/v1/models" proxy = proxy generation; mocks = mock generation`,
      `${curlIn(c.namespace, `-X POST http://${c.gateway.service}/v1/models -H 'Content-Type: application/json' -d '{"name":"<name>","namespace":"<ns>","artifact":{"status":"upload_completed","files_url":"nim://<ns>/<name>"}}'`)}   # proxy generation: register the base model`,
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # mock generation: add inside the server block: location = /v1/models/<ns>/<name> { default_type application/json; return 200 '{"name":"<name>","namespace":"<ns>",...}'; }   (an exact match wins over any regex), then restart the gateway`,
      curlIn(c.namespace, `http://${c.gateway.service}/v1/models/<ns>/<name>`),
    ],
  },
  locate: locateGatewaySubject,
  async probe({ subject, signal }) {
    const [health, namespaces, answers] = await Promise.all([
      fetchAnswer(subject.gatewayUrl, '/healthz', signal),
      fetchAnswer(subject.gatewayUrl, '/v1/namespaces', signal),
      probeModels(
        subject.gatewayUrl,
        subject.models.map((m) => m.model),
        signal,
      ),
    ]);
    // Only when the gateway does not reach the Entity Store: ask it directly, to say which part is broken.
    const entityStoreHealth = answersJson(namespaces)
      ? undefined
      : await fetchAnswer(subject.entityStoreUrl, '/health', signal);
    return { health, namespaces, entityStoreHealth, answers };
  },
  judge: ({ subject, probe, config }) => judgeGateway(subject, probe, config),
  fix: {
    description:
      'Mock generation: give each failing base model exactly one exact-match mock location in the gateway ConfigMap and restart the gateway so nginx loads it. Proxy generation: register each missing base model in the Entity Store with POST /v1/models through the gateway (never a mock). Re-checked over HTTP.',
    touches: ['gateway-config'],
    available({ subject, probe, config }) {
      if (!subject.configMap)
        return { reason: `ConfigMap ${config.gateway.configMap} does not exist; set gateway.configMap` };
      if (!subject.deployment)
        return { reason: `Deployment ${config.gateway.deployment} does not exist; set gateway.deployment` };
      if (!subject.view) return { reason: subject.configError ?? 'the gateway config cannot be read' };
      const cases = classifyAll(subject, probe);
      if (cases.some((c) => c.case === 'upstream'))
        return {
          reason: `the gateway cannot reach the Entity Store (${brokenPart(subject, probe, config)}); registering or mocking models does not repair that path: fix it first`,
        };
      const records = cases.filter((c) => c.case === 'invalid-record').map((c) => c.model);
      if (records.length)
        return {
          reason: `the Entity Store's record for ${records.join(', ')} is invalid; Flywheel Doctor does not delete records: delete and register it by hand`,
        };
      const edits = cases.filter(needsEdit);
      if (subject.generation === 'proxy' && edits.length)
        return {
          reason: `${edits.map((c) => c.model).join(', ')} ${edits.length > 1 ? 'are' : 'is'} answered by ${edits.length > 1 ? 'their' : 'its'} own block in a gateway that proxies models to the Entity Store; remove the block by hand so the Entity Store answers (a mock is never added in this generation)`,
        };
      const bad = [...edits, ...cases.filter((c) => c.case === 'unregistered')]
        .map((c) => c.model)
        .filter((m) => !isModelId(m));
      if (bad.length)
        return { reason: `${bad.join(', ')} is not a <namespace>/<name> model id the Entity Store can hold` };
      if (edits.length && !subject.view.server && !subject.view.locations.length)
        return { reason: 'nginx.conf has no server block to add a location to' };
      return true;
    },
    permissions: (c, subject) =>
      subject?.generation === 'proxy'
        ? [
            gatewayProxyAccess(c),
            {
              verb: 'patch',
              group: 'apps',
              resource: 'deployments',
              namespace: c.namespace,
              name: c.gateway.deployment,
            },
          ]
        : [
            { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
            {
              verb: 'patch',
              group: 'apps',
              resource: 'deployments',
              namespace: c.namespace,
              name: c.gateway.deployment,
            },
          ],
    plan: ({ subject, probe, config }) => planGatewayFix(subject, probe, config),
    readBack: readBackGatewayFix,
    steps({ subject, config }, plan) {
      const served = async (signal: AbortSignal) =>
        (await probeModels(subject.gatewayUrl, plan.data.models, signal)).every((a) => judgeAnswer(a).length === 0);
      const edit = gatewayEditSteps(config, plan.data.ops, 'model routes', served);
      // The Entity Store has no Kubernetes identity to check: the acting user must be allowed to
      // send requests to the gateway Service, or the doctor would register on behalf of anyone.
      const register: FixStep[] = plan.data.register.flatMap((model) =>
        registrationSteps(
          subject.gatewayUrl,
          model,
          subject.models.find((m) => m.model === model)?.from ?? [],
          gatewayProxyAccess(config),
        ),
      );
      // Config edit first, registrations, then the restart that loads the config (when one is needed).
      const [patch, restart] = [edit.filter((x) => x.kind === 'patch'), edit.filter((x) => x.kind === 'restart')];
      return [...patch, ...register, ...(plan.data.restart ? restart : [])];
    },
  },
});
