import { defineCheck } from '../../lib/engine/types';
import { ruleQuestions } from '../../lib/engine/steps';
import { canUser, type KubeClient } from '../../lib/k8s/client';
import type { ConfigOf } from '../../lib/config';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { ADDITIVE_RULES, FIX_LABEL, OPERATOR_EVALUATOR_RULES, additiveName, nameOf, sections } from './rules';
import { SecretsProbe, SecretsSubject, generalManualFix, judgeSecretsDelete, locateSecretsSubject } from './judge';
import { codes } from './codes';
import { SecretsPlanData, createPlan, objectsToCreate } from './plan';
export * from './rules';
export * from './judge';
export * from './plan';

/** The account the operator renders for the configured evaluator (before any list says otherwise). */
const expectedServiceAccount = (c: ConfigOf<typeof sections>) =>
  c.evaluator.serviceAccount ?? c.evaluator.deployment ?? c.evaluator.crName;

/** May this service account delete secrets here: the API server's answer, or why it could not be asked. */
async function askDelete(
  client: KubeClient,
  config: ConfigOf<typeof sections>,
  serviceAccount: string,
): Promise<SecretsProbe & { serviceAccount: string }> {
  const ns = config.namespace;
  const user = `system:serviceaccount:${ns}:${serviceAccount}`;
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
  try {
    const review = await canUser(client, user, groups, {
      verb: 'delete',
      group: '',
      resource: 'secrets',
      namespace: ns,
    });
    return { serviceAccount, review };
  } catch (err) {
    if (err instanceof KubeApiError)
      return {
        serviceAccount,
        reviewError: err.isForbidden ? 'the doctor may not create subjectaccessreviews' : err.apiMessage,
      };
    return { serviceAccount, reviewError: errorMessage(err) };
  }
}

export default defineCheck<typeof sections, SecretsSubject, SecretsProbe, SecretsPlanData>({
  id: 'evaluator-secrets-delete',
  title: 'Evaluator may delete its job secrets',
  area: 'NeMo Evaluator',
  config: sections,
  codes,
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
  // The operator names the service account after the CR: asked with the run's lists, used when
  // the Deployment confirms it (a chart-installed evaluator with another account is asked again).
  prefetch: ({ config, client }) => askDelete(client, config, expectedServiceAccount(config)),
  async probe({ config, subject, client, prefetched }) {
    const early = (await prefetched) as (SecretsProbe & { serviceAccount: string }) | undefined;
    if (early?.serviceAccount === subject.serviceAccount) return early;
    return askDelete(client, config, subject.serviceAccount);
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
