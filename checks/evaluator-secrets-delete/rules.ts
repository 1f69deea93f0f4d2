// evaluator-secrets-delete: its configuration and what the operator's and the fix's Roles grant on secrets.
import type { ConfigOf } from '../../lib/config';
import type { KObject } from '../../lib/k8s/object';
import { EvaluatorSection } from '../shared/evaluator';

export const sections = { evaluator: EvaluatorSection };
export type Config = ConfigOf<typeof sections>;

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

/** The rules the NIM Operator renders into the evaluator's Role (every release 3.0.0 to now). */
export const OPERATOR_EVALUATOR_RULES: PolicyRule[] = [
  {
    apiGroups: ['security.openshift.io'],
    resources: ['securitycontextconstraints'],
    resourceNames: ['nonroot'],
    verbs: ['use'],
  },
  { apiGroups: [''], resources: ['secrets', 'pods'], verbs: ['get', 'watch', 'list', 'create'] },
];

/** What the additive Role grants: what the evaluator does with its job secrets (as the OpenShift port does). */
export const ADDITIVE_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'delete'] },
];
export const FIX_LABEL = 'flywheel-doctor.dev/fix';
export const additiveName = (serviceAccount: string) => `flywheel-doctor-${serviceAccount}-secrets`;

/** A rule on secrets (any, or only the named ones): found by content, never by index. */
export function onSecrets(rule: PolicyRule): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  return (groups.includes('') || groups.includes('*')) && (resources.includes('secrets') || resources.includes('*'));
}

/** A rule that applies to all secrets in the namespace (not only named ones). */
export function coversSecrets(rule: PolicyRule): boolean {
  return onSecrets(rule) && !rule.resourceNames?.length;
}

export const grantsDelete = (rule: PolicyRule) => (rule.verbs ?? []).some((v) => v === 'delete' || v === '*');

export function allowsDelete(rule: PolicyRule): boolean {
  return coversSecrets(rule) && grantsDelete(rule);
}

export const rulesOf = (role: KObject | undefined) => (role?.rules ?? []) as PolicyRule[];
export const nameOf = (o: KObject) => o.metadata?.name ?? '?';
