// evaluator-secrets-delete: the Role and RoleBinding the fix creates.
import { absentGuard, targetOf } from '../../lib/engine/plan-helpers';
import { type PlanBody } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { ADDITIVE_RULES, Config, FIX_LABEL, OPERATOR_EVALUATOR_RULES, PolicyRule, additiveName, nameOf } from './rules';
import { SecretsProbe, SecretsSubject, deleteAllowed } from './judge';

export interface SecretsPlanData {
  creates: KObject[];
}

export const labels = { 'app.kubernetes.io/managed-by': 'flywheel-doctor', [FIX_LABEL]: 'evaluator-secrets-delete' };

export function roleObject(name: string, namespace: string, rules: PolicyRule[], extraLabels = labels): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: extraLabels },
    rules,
  };
}

export function bindingObject(name: string, namespace: string, sa: string): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
  };
}

/** What the fix creates, given what already exists: a partly applied fix is finished, not redone. */
export function objectsToCreate(subject: SecretsSubject, probe: SecretsProbe, config: Config): KObject[] {
  const ns = config.namespace;
  const out: KObject[] = [];
  for (const d of subject.danglingBindings) {
    if (d.role === subject.roleName) out.push(roleObject(d.role, ns, OPERATOR_EVALUATOR_RULES));
  }
  if (!deleteAllowed(subject, probe)) {
    const name = additiveName(subject.serviceAccount);
    if (!subject.additiveRole) out.push(roleObject(name, ns, ADDITIVE_RULES));
    if (!subject.additiveBinding) out.push(bindingObject(name, ns, subject.serviceAccount));
  }
  return out;
}

export function createPlan(creates: KObject[], subject: SecretsSubject): PlanBody<SecretsPlanData> {
  const additive = additiveName(subject.serviceAccount);
  return {
    noop: false,
    summary: `Create ${creates.map((o) => `${o.kind} ${nameOf(o)}`).join(', ')}`,
    changes: creates.map((o) => ({
      target: targetOf(o.kind!, o),
      action: 'create' as const,
      description:
        o.kind === 'RoleBinding'
          ? `bind Role ${nameOf(o)} to service account ${subject.serviceAccount}`
          : nameOf(o) === additive
            ? 'delete (and get, list, create) on secrets, separate from the operator Role'
            : 'the Role the NIM Operator renders for the evaluator, which the binding names',
      manifest: o,
    })),
    risks: [
      `Why a separate Role: the NIM Operator restores its own Role (${subject.roleName}) on reconcile and would drop a verb added to it; Role ${additive} is not managed by the operator and survives a NeMo redeploy.`,
      'Create-only: if any of these objects appears before the fix is applied, nothing is overwritten and the fix stops as a conflict.',
    ],
    guards: creates.map((o) => absentGuard(o.kind!, o)),
    data: { creates },
  };
}
