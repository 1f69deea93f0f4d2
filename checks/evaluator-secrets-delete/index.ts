import type { ConfigOf } from '../../lib/config';
import { absentGuard, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlanBody } from '../../lib/engine/types';
import { ruleQuestions } from '../../lib/engine/steps';
import { canUser } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { EvaluatorSection, resolveEvaluator } from '../shared/evaluator';

const sections = { evaluator: EvaluatorSection };
type Config = ConfigOf<typeof sections>;

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

const grantsDelete = (rule: PolicyRule) => (rule.verbs ?? []).some((v) => v === 'delete' || v === '*');

export function allowsDelete(rule: PolicyRule): boolean {
  return coversSecrets(rule) && grantsDelete(rule);
}

const rulesOf = (role: KObject | undefined) => (role?.rules ?? []) as PolicyRule[];
const nameOf = (o: KObject) => o.metadata?.name ?? '?';

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

function bindsServiceAccount(binding: KObject, sa: string, namespace: string): boolean {
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
function ruleFacts(roles: KObject[]) {
  const rules = roles.flatMap((r) => rulesOf(r).map((rule) => ({ role: nameOf(r), rule })));
  return {
    onSecrets: rules.filter((x) => onSecrets(x.rule)),
    grantingDelete: rules.filter((x) => allowsDelete(x.rule)),
    namedOnly: rules.filter((x) => onSecrets(x.rule) && !coversSecrets(x.rule) && grantsDelete(x.rule)),
  };
}

const operatorRulesText = 'get, watch, list, create on secrets and pods, and use of SCC nonroot';

/** The API server's answer when it gave one; else what the bound Roles' rules say. */
export function deleteAllowed(subject: SecretsSubject, probe: SecretsProbe): boolean {
  return probe.review ? probe.review.allowed : ruleFacts(subject.roles).grantingDelete.length > 0;
}

export function judgeSecretsDelete(subject: SecretsSubject, probe: SecretsProbe, config: Config): Finding {
  const ns = config.namespace;
  const { serviceAccount: sa, roles } = subject;
  const evidence: Evidence[] = [{ label: 'Service account', value: `system:serviceaccount:${ns}:${sa}` }];
  if (!subject.deploymentFound && roles.length === 0 && subject.danglingBindings.length === 0) {
    return {
      status: 'error',
      summary: `Neither the evaluator Deployment (${subject.deploymentName}) nor its Role (${subject.roleName}) exists in ${ns}; set evaluator.deployment / evaluator.role if they have other names`,
      evidence,
    };
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
    return {
      status: 'fail',
      summary: `RoleBinding ${d.binding} binds ${sa} to Role ${d.role}, which does not exist: the evaluator lacks the rights the operator grants it`,
      evidence,
      rootCause: `A RoleBinding names a Role that was deleted or never rendered. The NIM Operator normally renders Role ${subject.roleName} with ${operatorRulesText}; without it the evaluator cannot read or clean up its job secrets.`,
      manualFix: danglingManualFix(subject, config),
    };
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
  const fail = (summary: string): Finding => ({ status: 'fail', summary: `${summary}${byRules}`, evidence });
  if (facts.namedOnly.length) {
    const x = facts.namedOnly[0]!;
    return fail(
      `Role ${x.role}'s delete on secrets covers only the secrets ${x.rule.resourceNames!.join(', ')}: the evaluator deletes secrets with generated names, so evaluation jobs fail at cleanup`,
    );
  }
  if (facts.grantingDelete.length) {
    const x = facts.grantingDelete[0]!;
    return fail(
      `Role ${x.role} grants delete on secrets, but the API server denies it to ${sa}: check that a RoleBinding names this service account`,
    );
  }
  if (facts.onSecrets.length) {
    const x = facts.onSecrets[0]!;
    return fail(
      `Role ${x.role} grants ${(x.rule.verbs ?? []).join(', ')} on secrets but not delete: evaluation jobs fail at cleanup with "Failed to delete secret"`,
    );
  }
  return fail(`No Role bound to ${sa} has a rule on secrets: evaluation jobs fail at cleanup`);
}

function generalManualFix(sa: string, ns: string): string[] {
  const name = additiveName(sa);
  return [
    `oc create role ${name} -n ${ns} --verb=get,list,create,delete --resource=secrets   # separate from the operator's Role, which the operator restores`,
    `oc create rolebinding ${name} -n ${ns} --role=${name} --serviceaccount=${ns}:${sa}`,
    `oc auth can-i delete secrets -n ${ns} --as=system:serviceaccount:${ns}:${sa}`,
  ];
}

function danglingManualFix(subject: SecretsSubject, config: Config): string[] {
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

interface SecretsPlanData {
  creates: KObject[];
}

const labels = { 'app.kubernetes.io/managed-by': 'flywheel-doctor', [FIX_LABEL]: 'evaluator-secrets-delete' };

function roleObject(name: string, namespace: string, rules: PolicyRule[], extraLabels = labels): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: extraLabels },
    rules,
  };
}

function bindingObject(name: string, namespace: string, sa: string): KObject {
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

function createPlan(creates: KObject[], subject: SecretsSubject): PlanBody<SecretsPlanData> {
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

export default defineCheck<typeof sections, SecretsSubject, SecretsProbe, SecretsPlanData>({
  id: 'evaluator-secrets-delete',
  title: 'Evaluator may delete its job secrets',
  area: 'NeMo Evaluator',
  config: sections,
  needs: ['deployments', 'roles', 'rolebindings'],
  probePermissions: () => [{ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }],
  explain: {
    jobSignatures: [
      {
        pattern: /cannot delete resource "secrets"|Failed to delete secret/,
        cause: "the evaluator's service account may not delete secrets",
      },
    ],
    symptom:
      '500: Failed to delete secret ... User "system:serviceaccount:<ns>:nemoevaluator-sample" cannot delete resource "secrets".',
    rootCause:
      "The evaluator creates a Secret per evaluation job and deletes it afterwards. The NIM Operator's Role for the evaluator grants get, watch, list and create on secrets but not delete, so every job fails at cleanup even when the evaluation succeeded.",
    manualFix: (c) =>
      generalManualFix(c.evaluator.serviceAccount ?? c.evaluator.deployment ?? c.evaluator.crName, c.namespace),
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
      "Create a separate Role granting delete on secrets and a RoleBinding to the evaluator's service account (the operator restores its own Role, not this one); recreate a Role a binding names if it is the operator's. Create-only: nothing existing is changed.",
    available({ subject, probe, config }) {
      const unknown = subject.danglingBindings.filter((d) => d.role !== subject.roleName);
      if (unknown.length) {
        return {
          reason: `RoleBinding ${unknown[0]!.binding} names Role ${unknown[0]!.role}, whose rules Flywheel Doctor cannot know: recreate it from your manifests or delete the binding`,
        };
      }
      const foreign = subject.additiveRole && subject.additiveRole.metadata?.labels?.[FIX_LABEL] === undefined;
      if (foreign)
        return {
          reason: `a Role named ${additiveName(subject.serviceAccount)} exists and was not created by Flywheel Doctor`,
        };
      if (objectsToCreate(subject, probe, config).length === 0) {
        return {
          reason: `the Role and RoleBinding that grant delete already exist, yet the API server denies it: check the binding's subject`,
        };
      }
      return true;
    },
    permissions: (c, subject) => {
      const ns = c.namespace;
      const rules = [...ADDITIVE_RULES, ...(subject?.danglingBindings.length ? OPERATOR_EVALUATOR_RULES : [])];
      return [
        { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: ns },
        { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace: ns },
        // RBAC escalation prevention: whoever creates a Role must hold everything it grants.
        ...ruleQuestions(rules, ns),
      ];
    },
    plan({ subject, probe, config }) {
      const creates = objectsToCreate(subject, probe, config);
      if (!creates.length) {
        return {
          noop: true,
          summary: `${subject.serviceAccount} may already delete secrets`,
          changes: [],
          risks: [],
          guards: [],
          data: { creates },
        };
      }
      return createPlan(creates, subject);
    },
    async readBack({ reader, config, signal }, plan) {
      return Promise.all(
        plan.data.creates.map(async (obj) => {
          const type = obj.kind === 'RoleBinding' ? RESOURCES.rolebindings : RESOURCES.roles;
          const found = await reader
            .get<KObject>(type, config.namespace, nameOf(obj), { signal })
            .catch((e: unknown) => {
              if (e instanceof KubeApiError && e.isNotFound) return undefined;
              throw e;
            });
          return { step: `${obj.kind} ${nameOf(obj)} exists`, done: !!found };
        }),
      );
    },
    // Roles before the binding that names them; each create fails with 409 if the object appeared meanwhile.
    steps(_ctx, plan) {
      return plan.data.creates.map((obj) => ({
        kind: 'create' as const,
        label: `create ${obj.kind} ${nameOf(obj)}`,
        resource: obj.kind === 'RoleBinding' ? ('rolebindings' as const) : ('roles' as const),
        object: obj,
      }));
    },
  },
});
