// evaluator-secrets-delete: the evaluator's service account, its bindings and Roles (the subject), the access review, and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import type { Snapshot } from '../../lib/engine/snapshot';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { resolveEvaluator } from '../shared/evaluator';
import { Config, additiveName, allowsDelete, coversSecrets, grantsDelete, nameOf, onSecrets, rulesOf } from './rules';

/** What this check is about: the evaluator's service account, its RoleBindings and the Roles they name. */
export interface SecretsSubject {
  serviceAccount: string;
  deploymentName: string;
  deploymentFound: boolean;
  /** The Role the operator renders for the evaluator. */
  roleName: string;
  /** Roles that exist and are bound to the service account (plus the operator-named Role). */
  roles: KObject[];
  /** RoleBindings of the service account whose Role does not exist. */
  danglingBindings: Array<{ binding: string; role: string }>;
  /** The additive Role and RoleBinding, when present. */
  additiveRole?: KObject;
  additiveBinding?: KObject;
}

export function bindsServiceAccount(binding: KObject, sa: string, namespace: string): boolean {
  const subjects = (binding.subjects ?? []) as Array<{ kind: string; name: string; namespace?: string }>;
  return subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? namespace) === namespace);
}

export function locateSecretsSubject(snapshot: Snapshot, config: Config): SecretsSubject {
  const ev = resolveEvaluator(config, snapshot, { withCr: false });
  const sa = ev.serviceAccount;
  const bindings = snapshot
    .list('rolebindings')
    .filter((b) => b.roleRef?.kind === 'Role' && bindsServiceAccount(b, sa, config.namespace));
  const exists = (role: string) => !!snapshot.find('roles', role);
  const names = [...new Set([...bindings.map((b) => b.roleRef.name as string), ev.roleName])];
  return {
    serviceAccount: sa,
    deploymentName: ev.deploymentName,
    deploymentFound: !!ev.deployment,
    roleName: ev.roleName,
    roles: names.map((n) => snapshot.find('roles', n)).filter((r): r is KObject => !!r),
    danglingBindings: bindings
      .filter((b) => !exists(b.roleRef.name))
      .map((b) => ({ binding: nameOf(b), role: b.roleRef.name as string })),
    additiveRole: snapshot.find('roles', additiveName(sa)),
    additiveBinding: snapshot.find('rolebindings', additiveName(sa)),
  };
}

export interface SecretsProbe {
  review?: { allowed: boolean; reason?: string };
  reviewError?: string;
}

/** Which of the bound Roles' rules say what about deleting secrets. */
export function ruleFacts(roles: KObject[]) {
  const rules = roles.flatMap((r) => rulesOf(r).map((rule) => ({ role: nameOf(r), rule })));
  return {
    onSecrets: rules.filter((x) => onSecrets(x.rule)),
    grantingDelete: rules.filter((x) => allowsDelete(x.rule)),
    namedOnly: rules.filter((x) => onSecrets(x.rule) && !coversSecrets(x.rule) && grantsDelete(x.rule)),
  };
}

export const operatorRulesText = 'get, watch, list, create on secrets and pods, and use of SCC nonroot';

/** The API server's answer when it gave one; else what the bound Roles' rules say. */
export function deleteAllowed(subject: SecretsSubject, probe: SecretsProbe): boolean {
  return probe.review ? probe.review.allowed : ruleFacts(subject.roles).grantingDelete.length > 0;
}

export function judgeSecretsDelete(subject: SecretsSubject, probe: SecretsProbe, config: Config): Finding {
  const ns = config.namespace;
  const { serviceAccount: sa, roles } = subject;
  const evidence: Evidence[] = [{ label: 'Service account', value: `system:serviceaccount:${ns}:${sa}` }];
  if (!subject.deploymentFound && roles.length === 0 && subject.danglingBindings.length === 0) {
    return coded(
      codes,
      'FD-EVSEC-001',
      { deployment: subject.deploymentName, role: subject.roleName, namespace: ns },
      { evidence },
    );
  }
  const facts = ruleFacts(roles);
  for (const x of facts.onSecrets) {
    const named = x.rule.resourceNames?.length ? ` (only ${x.rule.resourceNames.join(', ')})` : '';
    const value = `verbs: ${(x.rule.verbs ?? []).join(', ')}${named}`;
    evidence.push({ label: `Role ${x.role} rule on secrets`, value, tone: allowsDelete(x.rule) ? 'good' : 'bad' });
  }
  if (roles.length && !facts.onSecrets.length) {
    evidence.push({ label: 'Roles bound', value: `${roles.map(nameOf).join(', ')}: no rule on secrets`, tone: 'bad' });
  }
  for (const d of subject.danglingBindings) {
    evidence.push({
      label: `RoleBinding ${d.binding}`,
      value: `binds ${sa} to Role ${d.role}, which does not exist (the NIM Operator renders it with ${operatorRulesText})`,
      tone: 'bad',
    });
  }
  if (probe.review) {
    const { allowed, reason } = probe.review;
    const value = allowed ? `allowed${reason ? `: ${reason}` : ''}` : 'denied';
    evidence.push({ label: 'SubjectAccessReview (delete secrets)', value, tone: allowed ? 'good' : 'bad' });
  } else {
    evidence.push({
      label: 'SubjectAccessReview',
      value: `not available (${probe.reviewError}); judged by the Role rules only`,
      tone: 'info',
    });
  }
  if (subject.danglingBindings.length) {
    const d = subject.danglingBindings[0]!;
    return coded(
      codes,
      'FD-EVSEC-002',
      { binding: d.binding, serviceAccount: sa, role: d.role },
      {
        evidence,
        rootCause: `A RoleBinding names a Role that was deleted or never rendered. The NIM Operator normally renders Role ${subject.roleName} with ${operatorRulesText}; without it the evaluator cannot read or clean up its job secrets.`,
        manualFix: danglingManualFix(subject, config),
      },
    );
  }
  const allowed = deleteAllowed(subject, probe);
  const byRules = probe.review ? '' : ' (judged by the Role rules: SubjectAccessReview not available)';
  if (allowed) {
    const granted = facts.grantingDelete[0]?.role;
    const by = granted
      ? `granted by Role ${granted}`
      : 'granted outside the Roles bound here: a ClusterRole or group binding';
    return { status: 'pass', summary: `${sa} may delete secrets in ${ns} (${by})${byRules}`, evidence };
  }
  if (facts.namedOnly.length) {
    const x = facts.namedOnly[0]!;
    const names = x.rule.resourceNames!.join(', ');
    return coded(codes, 'FD-EVSEC-003', { role: x.role, names, byRules }, { evidence });
  }
  if (facts.grantingDelete.length) {
    const x = facts.grantingDelete[0]!;
    return coded(codes, 'FD-EVSEC-004', { role: x.role, serviceAccount: sa, byRules }, { evidence });
  }
  if (facts.onSecrets.length) {
    const x = facts.onSecrets[0]!;
    const verbs = (x.rule.verbs ?? []).join(', ');
    return coded(codes, 'FD-EVSEC-005', { role: x.role, verbs, byRules }, { evidence });
  }
  return coded(codes, 'FD-EVSEC-006', { serviceAccount: sa, byRules }, { evidence });
}

export function generalManualFix(sa: string, ns: string): string[] {
  const name = additiveName(sa);
  return [
    `oc create role ${name} -n ${ns} --verb=get,list,create,delete --resource=secrets   # separate from the operator's Role, which the operator restores`,
    `oc create rolebinding ${name} -n ${ns} --role=${name} --serviceaccount=${ns}:${sa}`,
    `oc auth can-i delete secrets -n ${ns} --as=system:serviceaccount:${ns}:${sa}`,
  ];
}

export function danglingManualFix(subject: SecretsSubject, config: Config): string[] {
  const ns = config.namespace;
  return [
    ...subject.danglingBindings.flatMap((d) =>
      d.role === subject.roleName
        ? [
            `oc create role ${d.role} -n ${ns} --verb=get,watch,list,create --resource=secrets,pods   # what the NIM Operator renders`,
            `oc create role ${d.role}-scc -n ${ns} --verb=use --resource=securitycontextconstraints.security.openshift.io --resource-name=nonroot && oc create rolebinding ${d.role}-scc -n ${ns} --role=${d.role}-scc --serviceaccount=${ns}:${subject.serviceAccount}`,
          ]
        : [
            `oc get rolebinding ${d.binding} -n ${ns} -o yaml   # recreate Role ${d.role} from your manifests, or delete this binding`,
          ],
    ),
    ...generalManualFix(subject.serviceAccount, ns),
  ];
}
