import { codes } from './codes';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import { defineCheck, type PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp, KubeClient } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { gatewayEditSteps } from '../shared/gateway';
import { configTextPatch } from '../shared/gateway-config';
import { UpstreamSubject, locateUpstreamSubject, sections, type Config } from './upstreams';
import { UpstreamProbe, askThroughGateway, serviceAnswers } from './answers';
import { entityStoreAnswers, judgeUpstreams, upstreamProblems } from './judge';
import { editedUpstreams } from './edit';
export * from './upstreams';
export * from './answers';
export * from './judge';
export * from './edit';

interface UpstreamPlanData {
  ops: JsonPatchOp[];
}

/** The first configured cluster DNS Service that has an address (never throws). */
async function findClusterDns(client: KubeClient, config: Config, signal: AbortSignal): Promise<UpstreamProbe> {
  const out: UpstreamProbe = {};
  for (const s of config.clusterDns.services) {
    try {
      const svc = await client.get<KObject>(RESOURCES.services, s.namespace, s.name, { signal });
      if (svc.spec?.clusterIP) return { dns: { ...s, ip: svc.spec.clusterIP as string } };
    } catch (e) {
      if (!(e instanceof KubeApiError && e.isNotFound)) out.dnsError = errorMessage(e);
    }
  }
  return out;
}

export default defineCheck<typeof sections, UpstreamSubject, UpstreamProbe, UpstreamPlanData>({
  id: 'gateway-upstreams',
  title: "Gateway's resolver and upstreams reach this namespace's Services",
  area: 'Gateway',
  config: sections,
  codes,
  needs: ['configmaps', 'deployments', 'services', 'endpointslices', 'pods'],
  explain: {
    jobSignatures: [
      {
        pattern: /Unexpected response from (Entity Store|Data Store) during namespace creation: (50[234])/,
        cause: 'the gateway could not reach the $1 (HTTP $2)',
      },
    ],
    symptom:
      'Mocked gateway paths answer but proxied ones return 502/504; the flywheel logs "Unexpected response from Entity Store during namespace creation: 502".',
    rootCause:
      'nginx resolves upstreams held in variables per request, through its `resolver` line, with no search domains. A resolver copied from another cluster, an upstream naming another namespace (a copied config) or a short Service name, or a Service or port that does not exist, all end in 502.',
    manualFix: (c) => [
      `oc get svc -n openshift-dns dns-default -o jsonpath='{.spec.clusterIP}'   # (kube-system/kube-dns off OpenShift): the resolver address`,
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # resolver <that IP> valid=30s; upstreams as <service>.${c.namespace}.svc.cluster.local:<port>`,
      `oc rollout restart deployment/${c.gateway.deployment} -n ${c.namespace}`,
      `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${c.namespace} -- curl -s http://${c.gateway.service}/v1/namespaces`,
    ],
  },
  probePermissions: (c) =>
    c.clusterDns.services.map((s) => ({ verb: 'get', group: '', resource: 'services', name: s.name })),
  locate: locateUpstreamSubject,
  // The cluster DNS Services are named by the configuration: asked with the run's lists.
  prefetch: ({ client, config, signal }) => findClusterDns(client, config, signal),
  async probe({ subject, client, config, signal, prefetched }) {
    const [dns, answers] = await Promise.all([
      (prefetched as Promise<UpstreamProbe> | undefined) ?? findClusterDns(client, config, signal),
      subject.view ? askThroughGateway(subject, subject.view, signal) : undefined,
    ]);
    return { ...dns, ...answers };
  },
  judge: ({ subject, probe, config }) => judgeUpstreams(subject, probe, config),
  fix: {
    description:
      "Set the resolver to the cluster DNS Service's address and point upstreams at <service>.<namespace>.svc.cluster.local in this namespace (only where that Service and port exist), guarded on the ConfigMap's text; restart the gateway and wait until GET /v1/namespaces answers.",
    touches: ['gateway-config'],
    available({ subject, probe, config }) {
      if (!subject.configMap || !subject.deployment || !subject.view)
        return { reason: subject.configError ?? `the gateway ConfigMap or Deployment is missing` };
      const fails = upstreamProblems(subject, probe, config).filter((p) => p.severity === 'fail');
      const manual = fails.filter((p) => !p.edit);
      if (manual.length) return { reason: `needs your decision: ${manual.map((p) => p.what).join('; ')}` };
      if (!fails.length)
        // The config is right but the running nginx started before it changed: a restart loads it.
        return subject.notLoaded
          ? true
          : { reason: 'the config is right and loaded; look at the services behind the gateway: nothing to rewrite' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config, finding }) {
      const cm = subject.configMap!;
      const { guard, test } = guardFor('ConfigMap', cm);
      const problems = upstreamProblems(subject, probe, config).filter((p) => p.edit);
      if (finding.status !== 'pass' && !problems.length && subject.notLoaded)
        return {
          noop: false,
          summary: `Only restart ${config.gateway.deployment}: ConfigMap ${config.gateway.configMap} is right, but the running gateway started before it changed`,
          changes: [
            {
              target: targetOf('Deployment', subject.deployment!),
              action: 'restart',
              description: 'rollout restart so nginx loads the config',
            },
          ],
          risks: [
            `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
          ],
          guards: [guard, guardFor('Deployment', subject.deployment!).guard],
          data: { ops: [] },
        };
      if (finding.status === 'pass' || !problems.length)
        return {
          noop: true,
          summary: 'Nothing to rewrite',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [] },
        };
      const conf = subject.view!.conf;
      const next = editedUpstreams(subject.view!, problems);
      const ops = configTextPatch(test, config.gateway.configKey, conf, next);
      const changes: PlannedChange[] = [
        {
          target: targetOf('ConfigMap', cm),
          action: 'patch',
          description: problems.map((p) => p.what.split(':')[0]).join('; '),
          before: conf,
          after: next,
          patch: ops,
        },
        {
          target: targetOf('Deployment', subject.deployment!),
          action: 'restart',
          description: 'rollout restart so nginx loads the config',
        },
      ];
      return {
        noop: false,
        summary: `Rewrite ${problems.length} address${problems.length > 1 ? 'es' : ''} in ConfigMap ${config.gateway.configMap} and restart ${config.gateway.deployment}`,
        changes,
        risks: [
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        ],
        guards: [guard, guardFor('Deployment', subject.deployment!).guard],
        data: { ops },
      };
    },
    steps({ subject, config }, plan) {
      // Served means every routed service answers: /v1/namespaces alone can still be answered by the
      // old nginx (its Entity Store path worked) before the new one has loaded the corrected config.
      return gatewayEditSteps(config, plan.data.ops, 'upstreams', async (signal) => {
        if (!subject.view) return true;
        const asked = await askThroughGateway(subject, subject.view, signal);
        return (
          entityStoreAnswers(asked.namespaces) &&
          asked.services.every((a) => serviceAnswers(subject, a.location, a.answer))
        );
      });
    },
  },
});
