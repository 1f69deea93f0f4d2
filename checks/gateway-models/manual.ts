// gateway-models: the manual steps, per case.
import { registrationBody } from '../shared/entity-store';
import { modelPath } from '../shared/gateway-config';
import type { ModelCase } from './classify';
import { mockModelJson, needsEdit } from './mocks';
import type { Config, GatewaySubject } from './subject';

export function curlIn(ns: string, args: string): string {
  return `oc run curl-test --rm -i --restart=Never --image=curlimages/curl -n ${ns} -- curl -s ${args}`;
}

export function manualFixFor(cases: ModelCase[], subject: GatewaySubject, config: Config): string[] {
  const ns = config.namespace;
  const { configMap, deployment, service } = config.gateway;
  const out: string[] = [];
  for (const c of cases) {
    const block = () =>
      `location = ${modelPath(c.model)} { default_type application/json; return 200 '${mockModelJson(c.model)}'; }`;
    if (c.case === 'shadowed')
      out.push(
        `oc edit configmap ${configMap} -n ${ns}   # turn the block for ${c.model} into an exact match (exact matches win over every regex): ${block()}`,
      );
    else if (c.case === 'invalid' || c.case === 'drift')
      out.push(`oc edit configmap ${configMap} -n ${ns}   # replace the block for ${c.model} with: ${block()}`);
    else if (c.case === 'missing')
      out.push(
        `oc edit configmap ${configMap} -n ${ns}   # add inside the server block (an exact match wins wherever it sits): ${block()}`,
      );
    else if (c.case === 'unregistered') {
      const body = registrationBodyText(c.model, subject);
      out.push(
        curlIn(
          ns,
          `-X POST http://${service}/v1/models -H 'Content-Type: application/json' -d '${body}'   # 409 means it is registered already`,
        ),
      );
    } else if (c.case === 'invalid-record')
      out.push(
        curlIn(ns, `-X DELETE http://${service}${modelPath(c.model)}   # then register it again with POST /v1/models`),
      );
    else if (c.case === 'upstream')
      out.push(
        `oc get endpoints ${config.entityStore.service} -n ${ns}   # the Entity Store needs ready endpoints`,
        `oc get svc -n openshift-dns dns-default -o jsonpath='{.spec.clusterIP}'   # must equal the resolver in ConfigMap ${configMap} (kube-system/kube-dns off OpenShift)`,
        `oc logs deployment/${deployment} -n ${ns} | tail   # nginx says which upstream it could not resolve or reach`,
      );
  }
  if (cases.some((c) => needsEdit(c) || c.case === 'not-loaded'))
    out.push(
      `oc rollout restart deployment/${deployment} -n ${ns} && oc rollout status deployment/${deployment} -n ${ns}   # nginx reads its config only at start`,
    );
  for (const c of cases.filter((x) => x.case !== 'ok')) out.push(curlIn(ns, `http://${service}${modelPath(c.model)}`));
  return out;
}

export const registrationBodyText = (model: string, subject: GatewaySubject) =>
  JSON.stringify(registrationBody(model, subject.models.find((m) => m.model === model)?.from ?? []));
