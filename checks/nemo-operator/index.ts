import { coded, codedList, item, type CodedItem } from '../../lib/engine/codes';
import { codes } from './codes';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KubeClient } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import { customizerDeployed, CustomizerSection } from '../shared/customizer';

/** The NeMo operator runs the training jobs the Customizer creates (NemoTrainingJob). */
export const NemoOperatorSection = z
  .object({
    crd: z.string().default('nemotrainingjobs.nvidia.com'),
    deployment: z.string().default('nemo-operator-controller-manager'),
  })
  .prefault({});

const sections = { nemoOperator: NemoOperatorSection, customizer: CustomizerSection };
type Config = ConfigOf<typeof sections>;

interface OperatorSubject {
  customizer: boolean;
  /** The operator's Deployment: by name, else by its chart's name label. */
  deployment?: KObject;
}

export type OperatorProbe = { crd?: KObject; crdError?: string };

const established = (crd: KObject) =>
  ((crd.status?.conditions ?? []) as Array<{ type: string; status: string }>).some(
    (c) => c.type === 'Established' && c.status === 'True',
  );

export function judgeOperator(subject: OperatorSubject, probe: OperatorProbe, config: Config): Finding {
  const { crd: crdName, deployment: depName } = config.nemoOperator;
  const evidence: Evidence[] = [];
  if (!subject.customizer)
    return coded(codes, 'FD-NOP-001', { deployment: config.customizer.deployment }, { evidence });
  if (probe.crdError) return coded(codes, 'FD-NOP-002', { crd: crdName, error: probe.crdError }, { evidence });
  evidence.push({
    label: `CRD ${crdName}`,
    value: !probe.crd
      ? 'not installed'
      : established(probe.crd)
        ? 'installed, Established'
        : 'installed, not Established',
    tone: probe.crd && established(probe.crd) ? 'good' : 'bad',
  });
  const state = subject.deployment ? rolloutState(subject.deployment) : undefined;
  evidence.push({
    label: `Deployment ${subject.deployment?.metadata?.name ?? depName}`,
    value: state ? state.message : 'not found in this namespace',
    tone: state?.done && (subject.deployment?.status?.availableReplicas ?? 0) > 0 ? 'good' : 'bad',
  });
  const problems: CodedItem[] = [];
  if (!probe.crd) problems.push(item(codes, 'FD-NOP-003', { crd: crdName }));
  else if (!established(probe.crd)) problems.push(item(codes, 'FD-NOP-004', { crd: crdName }));
  if (!subject.deployment) problems.push(item(codes, 'FD-NOP-005', { deployment: depName }));
  else if ((subject.deployment.status?.availableReplicas ?? 0) < 1)
    problems.push(
      item(codes, 'FD-NOP-006', { deployment: String(subject.deployment.metadata?.name), rollout: state!.message }),
    );
  if (problems.length) return codedList(codes, problems, { evidence }, 'Customization jobs will never train: ');
  return { status: 'pass', summary: `The NeMo operator is running and ${crdName} is installed`, evidence };
}

async function readCrd(client: KubeClient, config: Config, signal: AbortSignal): Promise<OperatorProbe> {
  try {
    return {
      crd: await client.get<KObject>(RESOURCES.customresourcedefinitions, undefined, config.nemoOperator.crd, {
        signal,
      }),
    };
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound) return {};
    return { crdError: errorMessage(e) };
  }
}

export default defineCheck<typeof sections, OperatorSubject, OperatorProbe>({
  id: 'nemo-operator',
  title: 'The NeMo operator runs training jobs',
  area: 'NeMo Customizer',
  config: sections,
  codes,
  needs: ['deployments'],
  explain: {
    symptom: 'Customization jobs are created but never start training; no training pods appear.',
    rootCause:
      'The Customizer hands training to the NeMo operator through NemoTrainingJob resources. Newer NeMo microservices charts stopped installing that operator, so its CRD or its controller can be missing.',
    manualFix: (c) => [
      `oc get crd ${c.nemoOperator.crd}`,
      `oc get deployment ${c.nemoOperator.deployment} -n ${c.namespace}`,
      `helm upgrade --install nemo-operator <nemo-microservices chart>/charts/nemo-operator -n ${c.namespace}   # the operator subchart of the NeMo microservices release you run`,
      `oc rollout status deployment/${c.nemoOperator.deployment} -n ${c.namespace}`,
    ],
  },
  probePermissions: (c) => [
    { verb: 'get', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', name: c.nemoOperator.crd },
  ],
  locate: (snapshot, config) => ({
    customizer: customizerDeployed(snapshot, config),
    deployment:
      snapshot.find('deployments', config.nemoOperator.deployment) ??
      snapshot.list('deployments').find((d) => d.metadata?.labels?.['app.kubernetes.io/name'] === 'nemo-operator'),
  }),
  // The CRD is named by the configuration: asked with the run's lists.
  prefetch: ({ client, config, signal }) => readCrd(client, config, signal),
  async probe({ subject, client, config, signal, prefetched }) {
    if (!subject.customizer) return {};
    return ((await prefetched) as OperatorProbe | undefined) ?? readCrd(client, config, signal);
  },
  judge: ({ subject, probe, config }) => judgeOperator(subject, probe, config),
});
