import type { ConfigOf } from '../lib/config';
import { guardFor, show, targetOf } from '../lib/engine/plan-helpers';
import type { Snapshot } from '../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlanBody } from '../lib/engine/types';
import { canUser, type AccessQuestion, type JsonPatchOp } from '../lib/k8s/client';
import { errorMessage, KubeApiError } from '../lib/k8s/errors';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';
import { EvaluatorSection, resolveEvaluator } from './shared/evaluator';

const sections = { evaluator: EvaluatorSection };
type Config = ConfigOf<typeof sections>;

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
  return (
    (groups.includes('') || groups.includes('*')) &&
    (resources.includes('secrets') || resources.includes('*')) &&
    !(rule.resourceNames && rule.resourceNames.length)
  );
}

export function allowsDelete(rule: PolicyRule): boolean {
  return coversSecrets(rule) && (rule.verbs ?? []).some((v) => v === 'delete' || v === '*');
}

/** Roles bound to the service account in the namespace (plus the configured/operator-named Role). */
export function rolesForServiceAccount(
  snapshot: Snapshot,
  namespace: string,
  sa: string,
  fallbackRole: string,
): KObject[] {
  const bound = snapshot
    .list('rolebindings')
    .filter(
      (b) =>
        b.roleRef?.kind === 'Role' &&
        (b.subjects ?? []).some(
          (s: { kind: string; name: string; namespace?: string }) =>
            s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? namespace) === namespace,
        ),
    )
    .map((b) => b.roleRef.name as string);
  const names = [...new Set([...bound, fallbackRole])];
  return names.map((n) => snapshot.find('roles', n)).filter((r): r is KObject => !!r);
}

/** What this check is about: the evaluator's service account and the Roles bound to it. */
export interface SecretsSubject {
  serviceAccount: string;
  deploymentName: string;
  deploymentFound: boolean;
  roleName: string;
  roles: KObject[];
}

export function locateSecretsSubject(snapshot: Snapshot, config: Config): SecretsSubject {
  const ev = resolveEvaluator(config, snapshot, { withCr: false });
  return {
    serviceAccount: ev.serviceAccount,
    deploymentName: ev.deploymentName,
    deploymentFound: !!ev.deployment,
    roleName: ev.roleName,
    roles: rolesForServiceAccount(snapshot, config.namespace, ev.serviceAccount, ev.roleName),
  };
}

export interface SecretsProbe {
  review?: { allowed: boolean; reason?: string };
  reviewError?: string;
}

const rulesOf = (role: KObject | undefined) => (role?.rules ?? []) as PolicyRule[];

export function judgeSecretsDelete(subject: SecretsSubject, probe: SecretsProbe, config: Config): Finding {
  const ns = config.namespace;
  const { serviceAccount: sa, roles, roleName } = subject;
  const evidence: Evidence[] = [{ label: 'Service account', value: `system:serviceaccount:${ns}:${sa}` }];
  if (!subject.deploymentFound && roles.length === 0) {
    return {
      status: 'error',
      summary: `Neither the evaluator Deployment (${subject.deploymentName}) nor its Role (${roleName}) exists in ${ns}; set evaluator.deployment / evaluator.role if they have other names`,
      evidence,
    };
  }
  const secretRules = roles.flatMap((r) =>
    rulesOf(r)
      .map((rule) => ({ role: r.metadata!.name!, rule }))
      .filter((x) => coversSecrets(x.rule)),
  );
  for (const x of secretRules) {
    const value = `verbs: ${(x.rule.verbs ?? []).join(', ')}`;
    evidence.push({ label: `Role ${x.role} rule on secrets`, value, tone: allowsDelete(x.rule) ? 'good' : 'bad' });
  }
  if (roles.length && !secretRules.length) {
    const value = `${roles.map((r) => r.metadata?.name).join(', ')}: no rule covers secrets`;
    evidence.push({ label: 'Roles bound', value, tone: 'bad' });
  }
  const rulesAllow = secretRules.some((x) => allowsDelete(x.rule));
  if (probe.review) {
    const { allowed, reason } = probe.review;
    const value = allowed ? `allowed${reason ? `: ${reason}` : ''}` : 'denied';
    evidence.push({ label: 'SubjectAccessReview (delete secrets)', value, tone: allowed ? 'good' : 'bad' });
    if (allowed) {
      return {
        status: 'pass',
        summary: `${sa} may delete secrets in ${ns}${rulesAllow ? '' : ' (granted by another binding)'}`,
        evidence,
      };
    }
    return {
      status: 'fail',
      summary: `${sa} cannot delete secrets in ${ns}: evaluation jobs fail at cleanup with "Failed to delete secret"`,
      evidence,
    };
  }
  const value = `not available (${probe.reviewError}); judged by the Role rules only`;
  evidence.push({ label: 'SubjectAccessReview', value, tone: 'info' });
  if (rulesAllow) return { status: 'pass', summary: `The Role grants ${sa} delete on secrets`, evidence };
  return {
    status: 'fail',
    summary: `No Role bound to ${sa} grants delete on secrets: evaluation jobs fail at cleanup`,
    evidence,
  };
}

/** The Role the fix changes: the one with a rule on secrets, else the first bound one. */
const roleToPatch = (subject: SecretsSubject) =>
  subject.roles.find((r) => rulesOf(r).some(coversSecrets)) ?? subject.roles[0];

/** Every permission the evaluator Role grants once `delete secrets` is added, as access questions. */
export function resultingRoleQuestions(subject: SecretsSubject, config: Config): AccessQuestion[] {
  const rules: PolicyRule[] = [
    ...rulesOf(roleToPatch(subject)),
    { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] },
  ];
  const out = new Map<string, AccessQuestion>();
  for (const r of rules)
    for (const group of r.apiGroups ?? [])
      for (const resource of r.resources ?? [])
        for (const verb of r.verbs ?? [])
          for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
            const [res, sub] = resource.split('/');
            const q: AccessQuestion = {
              verb,
              group,
              resource: res!,
              subresource: sub,
              namespace: config.namespace,
              name,
            };
            out.set(JSON.stringify(q), q);
          }
  return [...out.values()].slice(0, 40);
}

/** The JSON Patch that grants delete on secrets in `role`, and how it reads in the plan. */
export function grantDeletePlan(role: KObject): PlanBody<SecretsPlanData> {
  const { guard, test } = guardFor('Role', role);
  const rules = rulesOf(role);
  const idx = rules.findIndex(coversSecrets);
  const name = role.metadata!.name!;
  const risks = [
    'The NIM Operator may restore its Role on a later reconcile or NeMo redeploy: re-run Flywheel Doctor afterwards.',
  ];
  if (idx >= 0) {
    const rule = rules[idx]!;
    const ops: JsonPatchOp[] = [
      test,
      { op: 'test', path: `/rules/${idx}`, value: rule },
      { op: 'add', path: `/rules/${idx}/verbs/-`, value: 'delete' },
    ];
    const others = (rule.resources ?? []).filter((r) => r !== 'secrets');
    if (others.length)
      risks.unshift(`The rule also covers ${others.join(', ')}: they gain delete too (as in the guide's fix).`);
    const after = show({ ...rule, verbs: [...(rule.verbs ?? []), 'delete'] });
    return {
      noop: false,
      summary: `Add "delete" to rule ${idx} of Role ${name} (the rule on ${(rule.resources ?? []).join(', ')})`,
      changes: [
        {
          target: targetOf('Role', role),
          action: 'patch',
          description: `rules[${idx}].verbs += delete`,
          patch: ops,
          before: show(rule),
          after,
        },
      ],
      risks,
      guards: [guard],
      data: { role: name, ops },
    };
  }
  const newRule = { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] };
  const add: JsonPatchOp = role.rules
    ? { op: 'add', path: '/rules/-', value: newRule }
    : { op: 'add', path: '/rules', value: [newRule] };
  const ops: JsonPatchOp[] = [test, add];
  return {
    noop: false,
    summary: `Add a rule granting delete on secrets to Role ${name}`,
    changes: [
      {
        target: targetOf('Role', role),
        action: 'patch',
        description: 'add rule: delete secrets',
        patch: ops,
        before: '(no rule covers secrets)',
        after: show(newRule),
      },
    ],
    risks,
    guards: [guard],
    data: { role: name, ops },
  };
}

interface SecretsPlanData {
  role: string;
  ops: JsonPatchOp[];
}

export default defineCheck<typeof sections, SecretsSubject, SecretsProbe, SecretsPlanData>({
  id: 'evaluator-secrets-delete',
  title: 'Evaluator may delete its job secrets',
  area: 'NeMo Evaluator',
  config: sections,
  needs: ['deployments', 'roles', 'rolebindings'],
  probePermissions: () => [{ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }],
  explain: {
    symptom:
      '500: Failed to delete secret ... User "system:serviceaccount:<ns>:nemoevaluator-sample" cannot delete resource "secrets".',
    rootCause:
      "The evaluator creates a Secret per evaluation job and deletes it afterwards. The NIM Operator's Role for the evaluator grants get, watch, list and create on secrets but not delete, so every job fails at cleanup even when the evaluation succeeded.",
    manualFix: (c) => {
      const role = c.evaluator.role ?? c.evaluator.deployment ?? c.evaluator.crName;
      const sa = c.evaluator.serviceAccount ?? c.evaluator.crName;
      return [
        `oc get role ${role} -n ${c.namespace} -o yaml   # find the rule whose resources include secrets; do not trust its index`,
        `oc patch role ${role} -n ${c.namespace} --type=json -p '[{"op":"add","path":"/rules/<index of the secrets rule>/verbs/-","value":"delete"}]'`,
        `oc auth can-i delete secrets -n ${c.namespace} --as=system:serviceaccount:${c.namespace}:${sa}`,
      ];
    },
  },
  locate: locateSecretsSubject,
  async probe({ config, subject, client }) {
    const ns = config.namespace;
    const user = `system:serviceaccount:${ns}:${subject.serviceAccount}`;
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
    try {
      return {
        review: await canUser(client, user, groups, { verb: 'delete', group: '', resource: 'secrets', namespace: ns }),
      };
    } catch (err) {
      if (err instanceof KubeApiError) {
        return { reviewError: err.isForbidden ? 'the doctor may not create subjectaccessreviews' : err.apiMessage };
      }
      return { reviewError: errorMessage(err) };
    }
  },
  judge: ({ subject, probe, config }) => judgeSecretsDelete(subject, probe, config),
  fix: {
    description:
      "Add the delete verb to the evaluator Role's rule that covers secrets (or add a rule for it), guarded so a concurrent edit is never overwritten.",
    permissions: (c, subject) => [
      { verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: c.namespace },
      // RBAC escalation prevention: whoever updates a Role must hold everything the result grants.
      ...(subject
        ? resultingRoleQuestions(subject, c)
        : [{ verb: 'delete', group: '', resource: 'secrets', namespace: c.namespace }]),
    ],
    plan({ subject, config }) {
      if (subject.roles.some((r) => rulesOf(r).some(allowsDelete))) {
        return {
          noop: true,
          summary: 'The Role already grants delete on secrets',
          changes: [],
          risks: [],
          guards: [],
          data: { role: subject.roleName, ops: [] },
        };
      }
      const role = roleToPatch(subject);
      if (!role)
        throw new Error(
          `Role ${subject.roleName} not found in ${config.namespace}; set evaluator.role to the evaluator's Role`,
        );
      return grantDeletePlan(role);
    },
    async apply({ actor, config, dryRun, progress }, plan) {
      await actor.jsonPatch(RESOURCES.roles, config.namespace, plan.data.role, plan.data.ops, { dryRun });
      if (!dryRun) progress(`patched Role ${plan.data.role}`);
    },
  },
});
