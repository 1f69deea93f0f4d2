import type { DoctorConfig } from '../lib/config';
import { canUser, type AccessQuestion, type JsonPatchOp } from '../lib/k8s/client';
import { errorMessage, KubeApiError } from '../lib/k8s/errors';
import { RESOURCES } from '../lib/k8s/resources';
import { resolveEvaluator } from '../lib/engine/names';
import { guardFor, show, targetOf } from '../lib/engine/plan-helpers';
import type { KObject, Snapshot } from '../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlanGuard } from '../lib/engine/types';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

/** A rule applies to all secrets in the namespace (not just named ones) — found by content, never by index. */
export function coversSecrets(rule: PolicyRule): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  return (groups.includes('') || groups.includes('*')) && (resources.includes('secrets') || resources.includes('*')) && !(rule.resourceNames && rule.resourceNames.length);
}

export function allowsDelete(rule: PolicyRule): boolean {
  return coversSecrets(rule) && (rule.verbs ?? []).some((v) => v === 'delete' || v === '*');
}

/** Roles bound to the service account in the namespace (plus the configured/operator-named Role). */
export function rolesForServiceAccount(snapshot: Snapshot, namespace: string, sa: string, fallbackRole: string): KObject[] {
  const bound = snapshot
    .list('rolebindings')
    .filter((b) => b.roleRef?.kind === 'Role' && (b.subjects ?? []).some((s: { kind: string; name: string; namespace?: string }) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? namespace) === namespace))
    .map((b) => b.roleRef.name as string);
  const names = [...new Set([...bound, fallbackRole])];
  return names.map((n) => snapshot.find('roles', n)).filter((r): r is KObject => !!r);
}

export interface SecretsProbe {
  serviceAccount: string;
  review?: { allowed: boolean; reason?: string };
  reviewError?: string;
}

export function judgeSecretsDelete(snapshot: Snapshot, probe: SecretsProbe, config: DoctorConfig): Finding {
  const ns = config.namespace;
  const ev = resolveEvaluator(config, snapshot, { withCr: false });
  const sa = probe.serviceAccount;
  const roleName = config.evaluator.role ?? ev.deploymentName;
  const roles = rolesForServiceAccount(snapshot, ns, sa, roleName);
  const evidence: Evidence[] = [{ label: 'Service account', value: `system:serviceaccount:${ns}:${sa}` }];
  if (!ev.deployment && roles.length === 0) {
    return { status: 'error', summary: `Neither the evaluator Deployment (${ev.deploymentName}) nor its Role (${roleName}) exists in ${ns}; set evaluator.deployment / evaluator.role if they have other names`, evidence };
  }
  const secretRules = roles.flatMap((r) => ((r.rules ?? []) as PolicyRule[]).map((rule, i) => ({ role: r.metadata!.name!, rule, i })).filter((x) => coversSecrets(x.rule)));
  for (const x of secretRules) evidence.push({ label: `Role ${x.role} rule on secrets`, value: `verbs: ${(x.rule.verbs ?? []).join(', ')}`, tone: allowsDelete(x.rule) ? 'good' : 'bad' });
  if (roles.length && !secretRules.length) evidence.push({ label: 'Roles bound', value: `${roles.map((r) => r.metadata?.name).join(', ')}: no rule covers secrets`, tone: 'bad' });
  const rulesAllow = secretRules.some((x) => allowsDelete(x.rule));
  if (probe.review) {
    evidence.push({ label: 'SubjectAccessReview (delete secrets)', value: probe.review.allowed ? `allowed${probe.review.reason ? `: ${probe.review.reason}` : ''}` : 'denied', tone: probe.review.allowed ? 'good' : 'bad' });
    if (probe.review.allowed) return { status: 'pass', summary: `${sa} may delete secrets in ${ns}${rulesAllow ? '' : ' (granted by another binding)'}`, evidence };
    return { status: 'fail', summary: `${sa} cannot delete secrets in ${ns}: evaluation jobs fail at cleanup with "Failed to delete secret"`, evidence };
  }
  evidence.push({ label: 'SubjectAccessReview', value: `not available (${probe.reviewError}); judged by the Role rules only`, tone: 'info' });
  if (rulesAllow) return { status: 'pass', summary: `The Role grants ${sa} delete on secrets`, evidence };
  return { status: 'fail', summary: `No Role bound to ${sa} grants delete on secrets: evaluation jobs fail at cleanup`, evidence };
}

/** Every permission the evaluator Role grants once `delete secrets` is added, as access questions. */
export function resultingRoleQuestions(snapshot: Snapshot, config: DoctorConfig): AccessQuestion[] {
  let roles: KObject[];
  try {
    const ev = resolveEvaluator(config, snapshot, { withCr: false });
    roles = rolesForServiceAccount(snapshot, config.namespace, ev.serviceAccount, config.evaluator.role ?? ev.deploymentName);
  } catch {
    return [{ verb: 'delete', group: '', resource: 'secrets', namespace: config.namespace }];
  }
  const role = roles.find((r) => ((r.rules ?? []) as PolicyRule[]).some(coversSecrets)) ?? roles[0];
  const rules: PolicyRule[] = [...((role?.rules ?? []) as PolicyRule[]), { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] }];
  const out = new Map<string, AccessQuestion>();
  for (const r of rules)
    for (const group of r.apiGroups ?? [])
      for (const resource of r.resources ?? [])
        for (const verb of r.verbs ?? [])
          for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
            const [res, sub] = resource.split('/');
            const q: AccessQuestion = { verb, group, resource: res!, subresource: sub, namespace: config.namespace, name };
            out.set(JSON.stringify(q), q);
          }
  return [...out.values()].slice(0, 40);
}

interface SecretsPlanData {
  role: string;
  ops: JsonPatchOp[];
}

export default defineCheck<SecretsProbe, SecretsPlanData>({
  id: 'evaluator-secrets-delete',
  title: 'Evaluator may delete its job secrets',
  area: 'NeMo Evaluator',
  needs: ['deployments', 'roles', 'rolebindings'],
  probePermissions: () => [{ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }],
  explain: {
    symptom: '500: Failed to delete secret ... User "system:serviceaccount:<ns>:nemoevaluator-sample" cannot delete resource "secrets".',
    rootCause:
      'The evaluator creates a Secret per evaluation job and deletes it afterwards. The NIM Operator\'s Role for the evaluator grants get, watch, list and create on secrets but not delete, so every job fails at cleanup even when the evaluation succeeded.',
    manualFix: (c) => [
      `oc get role ${c.evaluator.role ?? c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} -o yaml   # find the rule whose resources include secrets; do not trust its index`,
      `oc patch role ${c.evaluator.role ?? c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} --type=json -p '[{"op":"add","path":"/rules/<index of the secrets rule>/verbs/-","value":"delete"}]'`,
      `oc auth can-i delete secrets -n ${c.namespace} --as=system:serviceaccount:${c.namespace}:${c.evaluator.serviceAccount ?? c.evaluator.crName}`,
    ],
  },
  async probe({ config, snapshot, client }) {
    const ev = resolveEvaluator(config, snapshot, { withCr: false });
    const sa = ev.serviceAccount;
    try {
      const review = await canUser(client, `system:serviceaccount:${config.namespace}:${sa}`, ['system:serviceaccounts', `system:serviceaccounts:${config.namespace}`, 'system:authenticated'], { verb: 'delete', group: '', resource: 'secrets', namespace: config.namespace });
      return { serviceAccount: sa, review };
    } catch (err) {
      if (err instanceof KubeApiError) return { serviceAccount: sa, reviewError: err.isForbidden ? 'the doctor may not create subjectaccessreviews' : err.apiMessage };
      return { serviceAccount: sa, reviewError: errorMessage(err) };
    }
  },
  judge: ({ snapshot, probe, config }) => judgeSecretsDelete(snapshot, probe, config),
  fix: {
    description: "Add the delete verb to the evaluator Role's rule that covers secrets (or add a rule for it), guarded so a concurrent edit is never overwritten.",
    permissions: (c, snapshot) => [
      { verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: c.namespace },
      // RBAC escalation prevention: whoever updates a Role must hold everything the result grants.
      ...(snapshot ? resultingRoleQuestions(snapshot, c) : [{ verb: 'delete', group: '', resource: 'secrets', namespace: c.namespace }]),
    ],
    async plan({ snapshot, config }) {
      const ev = resolveEvaluator(config, snapshot, { withCr: false });
      const roleName = config.evaluator.role ?? ev.deploymentName;
      const roles = rolesForServiceAccount(snapshot, config.namespace, ev.serviceAccount, roleName);
      const base = { checkId: 'evaluator-secrets-delete', risks: [] as string[], guards: [] as PlanGuard[] };
      if (roles.some((r) => ((r.rules ?? []) as PolicyRule[]).some(allowsDelete))) {
        return { ...base, noop: true, summary: 'The Role already grants delete on secrets', changes: [], data: { role: roleName, ops: [] } };
      }
      const role = roles.find((r) => ((r.rules ?? []) as PolicyRule[]).some(coversSecrets)) ?? roles[0];
      if (!role) throw new Error(`Role ${roleName} not found in ${config.namespace}; set evaluator.role to the evaluator's Role`);
      const { guard, test } = guardFor('Role', role);
      const rules = (role.rules ?? []) as PolicyRule[];
      const idx = rules.findIndex(coversSecrets);
      const risks = ['The NIM Operator may restore its Role on a later reconcile or NeMo redeploy: re-run Flywheel Doctor afterwards.'];
      if (idx >= 0) {
        const rule = rules[idx]!;
        const ops: JsonPatchOp[] = [test, { op: 'test', path: `/rules/${idx}`, value: rule }, { op: 'add', path: `/rules/${idx}/verbs/-`, value: 'delete' }];
        const others = (rule.resources ?? []).filter((r) => r !== 'secrets');
        if (others.length) risks.unshift(`The rule also covers ${others.join(', ')}: they gain delete too (as in the guide's fix).`);
        return {
          ...base,
          noop: false,
          summary: `Add "delete" to rule ${idx} of Role ${role.metadata?.name} (the rule on ${(rule.resources ?? []).join(', ')})`,
          changes: [{ target: targetOf('Role', role), action: 'patch', description: `rules[${idx}].verbs += delete`, patch: ops, before: show(rule), after: show({ ...rule, verbs: [...(rule.verbs ?? []), 'delete'] }) }],
          risks,
          guards: [guard],
          data: { role: role.metadata!.name!, ops },
        };
      }
      const newRule = { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] };
      const ops: JsonPatchOp[] = [test, role.rules ? { op: 'add', path: '/rules/-', value: newRule } : { op: 'add', path: '/rules', value: [newRule] }];
      return {
        ...base,
        noop: false,
        summary: `Add a rule granting delete on secrets to Role ${role.metadata?.name}`,
        changes: [{ target: targetOf('Role', role), action: 'patch', description: 'add rule: delete secrets', patch: ops, before: '(no rule covers secrets)', after: show(newRule) }],
        risks,
        guards: [guard],
        data: { role: role.metadata!.name!, ops },
      };
    },
    async apply({ actor, config, dryRun, progress }, plan) {
      await actor.jsonPatch(RESOURCES.roles, config.namespace, plan.data.role, plan.data.ops, { dryRun });
      if (!dryRun) progress(`patched Role ${plan.data.role}`);
    },
  },
});
