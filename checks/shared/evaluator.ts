import './nim-resources';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';

/** Where to find the NeMo Evaluator: the NIM Operator's names by default, helm's detected. */
export const EvaluatorSection = z
  .object({
    crName: z.string().default('nemoevaluator-sample'),
    deployment: z.string().optional(), // default: same as crName, or helm's nemo-evaluator
    container: z.string().optional(), // default: <deployment>-ctr, else the one carrying ENTITY_STORE_URL
    role: z.string().optional(),
    serviceAccount: z.string().optional(),
  })
  .prefault({});

export type EvaluatorConfig = ConfigOf<{ evaluator: typeof EvaluatorSection }>;

/** The upstream helm chart's evaluator name, detected when the operator's is absent. */
export const HELM_EVALUATOR = 'nemo-evaluator';
export const ENTITY_STORE_ENV = 'ENTITY_STORE_URL';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string };
    fieldRef?: unknown;
  };
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string };
}
export interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
}

export interface EvaluatorRefs {
  deployment?: KObject;
  deploymentName: string;
  /** 'operator' when the Deployment is owned by a NemoEvaluator CR. */
  flavour: 'operator' | 'helm' | 'unknown';
  cr?: KObject;
  container?: Container;
  serviceAccount: string;
  /** The Role the operator renders for the evaluator (configured, else the Deployment's name). */
  roleName: string;
}

/** Finds the evaluator Deployment, its CR, container and service account by config, then by content. */
export function resolveEvaluator(
  config: EvaluatorConfig,
  snapshot: Snapshot,
  opts: { withCr: boolean },
): EvaluatorRefs {
  const deployments = snapshot.list('deployments');
  const wanted = config.evaluator.deployment ?? config.evaluator.crName;
  const deployment =
    deployments.find((d) => d.metadata?.name === wanted) ??
    (config.evaluator.deployment ? undefined : deployments.find((d) => d.metadata?.name === HELM_EVALUATOR));
  const deploymentName = deployment?.metadata?.name ?? wanted;
  const owner = deployment?.metadata?.ownerReferences?.find((o) => o.kind === 'NemoEvaluator');
  const cr =
    opts.withCr && !snapshot.notInstalled('nemoevaluators')
      ? snapshot.find('nemoevaluators', owner?.name ?? config.evaluator.crName)
      : undefined;
  const containers: Container[] = deployment?.spec?.template?.spec?.containers ?? [];
  const container =
    containers.find((c) => c.name === (config.evaluator.container ?? `${deploymentName}-ctr`)) ??
    containers.find((c) => c.name === config.evaluator.container) ??
    containers.find((c) => c.env?.some((e) => e.name === ENTITY_STORE_ENV)) ??
    containers[0];
  return {
    deployment,
    deploymentName,
    flavour: owner ? 'operator' : deployment ? (deploymentName === HELM_EVALUATOR ? 'helm' : 'unknown') : 'unknown',
    cr,
    container,
    serviceAccount:
      config.evaluator.serviceAccount ?? deployment?.spec?.template?.spec?.serviceAccountName ?? deploymentName,
    roleName: config.evaluator.role ?? deploymentName,
  };
}
