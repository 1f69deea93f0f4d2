import type { DoctorConfig } from '../config';
import type { KObject, Snapshot } from './snapshot';

/** The upstream helm chart's evaluator name, detected when the operator's is absent. */
export const HELM_EVALUATOR = 'nemo-evaluator';
export const ENTITY_STORE_ENV = 'ENTITY_STORE_URL';

export interface EvaluatorRefs {
  deployment?: KObject;
  deploymentName: string;
  /** 'operator' when the Deployment is owned by a NemoEvaluator CR. */
  flavour: 'operator' | 'helm' | 'unknown';
  cr?: KObject;
  container?: { name: string; env?: EnvVar[]; envFrom?: EnvFromSource[] };
  serviceAccount: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string; optional?: boolean }; secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string };
}

/** Finds the evaluator Deployment, its CR, container and service account by config, then by content. */
export function resolveEvaluator(config: DoctorConfig, snapshot: Snapshot, opts: { withCr: boolean }): EvaluatorRefs {
  const deployments = snapshot.list('deployments');
  const wanted = config.evaluator.deployment ?? config.evaluator.crName;
  const deployment = deployments.find((d) => d.metadata?.name === wanted) ?? (config.evaluator.deployment ? undefined : deployments.find((d) => d.metadata?.name === HELM_EVALUATOR));
  const deploymentName = deployment?.metadata?.name ?? wanted;
  const owner = deployment?.metadata?.ownerReferences?.find((o) => o.kind === 'NemoEvaluator');
  const cr = opts.withCr && !snapshot.notInstalled('nemoevaluators') ? snapshot.find('nemoevaluators', owner?.name ?? config.evaluator.crName) : undefined;
  const containers: Array<{ name: string; env?: EnvVar[]; envFrom?: EnvFromSource[] }> = deployment?.spec?.template?.spec?.containers ?? [];
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
    serviceAccount: config.evaluator.serviceAccount ?? deployment?.spec?.template?.spec?.serviceAccountName ?? deploymentName,
  };
}

/** Labels/names that mark a pod as part of the Data Flywheel stack (for pod health). */
export function isFlywheelWorkload(name: string, labels: Record<string, string> = {}): boolean {
  if (/^df-/.test(name) || /^nemo/.test(name)) return true;
  if (labels['app.kubernetes.io/managed-by'] === 'k8s-nim-operator') return true;
  const partOf = labels['app.kubernetes.io/part-of'] ?? '';
  return /nemo|nim-service|data-flywheel/.test(partOf);
}
