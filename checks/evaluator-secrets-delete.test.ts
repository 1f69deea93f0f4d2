import { describe, expect, it } from 'vitest';
import { Snapshot } from '../lib/engine/snapshot';
import { judgeWith, planWith } from '../lib/engine/testing';
import check, {
  coversSecrets,
  locateSecretsSubject,
  resultingRoleQuestions,
  type SecretsProbe,
} from './evaluator-secrets-delete';
import { grantCommand, permissionText } from '../lib/k8s/errors';
import { config, evaluatorDeployment, NS, OPERATOR_RULES, role, roleBinding } from './test-fixtures';

const base = (roles: unknown[], bindings = [roleBinding('nemoevaluator-sample', 'nemoevaluator-sample')]) =>
  Snapshot.fromFixture(NS, {
    deployments: [evaluatorDeployment([])],
    roles: roles as never,
    rolebindings: bindings as never,
  });
const noReview: SecretsProbe = { reviewError: 'the doctor may not create subjectaccessreviews' };
const judge = (s: Snapshot, probe: SecretsProbe = noReview) => judgeWith(check, s, probe, config());

describe('coversSecrets', () => {
  it('matches by content and honours wildcards, not resourceNames-limited rules', () => {
    expect(coversSecrets({ apiGroups: [''], resources: ['pods', 'secrets'] })).toBe(true);
    expect(coversSecrets({ apiGroups: ['*'], resources: ['*'] })).toBe(true);
    expect(coversSecrets({ apiGroups: ['apps'], resources: ['secrets'] })).toBe(false);
    expect(coversSecrets({ apiGroups: [''], resources: ['secrets'], resourceNames: ['one'] })).toBe(false);
  });
});

describe('evaluator-secrets-delete judge', () => {
  it('fails on the operator Role (no delete), judged by rules when SAR is unavailable', () => {
    const r = judge(base([role(OPERATOR_RULES)]));
    expect(r.status).toBe('fail');
    expect(r.evidence.some((e) => /not available/.test(e.value))).toBe(true);
  });
  it('passes when the secrets rule has delete, wherever it sits', () => {
    expect(
      judge(base([role([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'delete'] }, ...OPERATOR_RULES])]))
        .status,
    ).toBe('pass');
  });
  it('passes with a wildcard verb', () => {
    expect(judge(base([role([{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }])])).status).toBe('pass');
  });
  it('trusts the SubjectAccessReview over the rules (delete granted by another binding)', () => {
    expect(judge(base([role(OPERATOR_RULES)]), { review: { allowed: true } }).status).toBe('pass');
    expect(
      judge(base([role([{ apiGroups: [''], resources: ['secrets'], verbs: ['delete'] }])]), {
        review: { allowed: false },
      }).status,
    ).toBe('fail');
  });
  it('finds Roles through RoleBindings of the service account', () => {
    const s = base(
      [role(OPERATOR_RULES), role([{ apiGroups: [''], resources: ['secrets'], verbs: ['delete'] }], 'extra')],
      [roleBinding('nemoevaluator-sample', 'nemoevaluator-sample'), roleBinding('extra', 'nemoevaluator-sample')],
    );
    expect(judge(s).status).toBe('pass');
  });
  it('gives guidance when neither the Deployment nor the Role exists', () => {
    const r = judge(Snapshot.fromFixture(NS, { deployments: [], roles: [], rolebindings: [] }));
    expect(r.status).toBe('error');
  });
  it('tolerates malformed rules (missing fields)', () => {
    expect(judge(base([role([{}, { verbs: ['delete'] }])])).status).toBe('fail');
  });
});

describe('evaluator-secrets-delete fix plan', () => {
  it('adds delete to the rule that covers secrets, guarded by a test op on that rule', async () => {
    const plan = (await planWith(check, base([role(OPERATOR_RULES)]), noReview, config())) as {
      noop: boolean;
      data: { ops: unknown[] };
      risks: string[];
    };
    expect(plan.noop).toBe(false);
    expect(plan.data.ops).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '55' },
      { op: 'test', path: '/rules/1', value: OPERATOR_RULES[1] },
      { op: 'add', path: '/rules/1/verbs/-', value: 'delete' },
    ]);
    expect(plan.risks.join(' ')).toMatch(/pods/);
  });
  it('adds a rule when none covers secrets', async () => {
    const plan = (await planWith(check, base([role([OPERATOR_RULES[0]])]), noReview, config())) as {
      data: { ops: unknown[] };
    };
    expect(plan.data.ops[1]).toEqual({
      op: 'add',
      path: '/rules/-',
      value: { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] },
    });
  });
  it('is a no-op when delete is already granted', async () => {
    expect(
      (
        await planWith(
          check,
          base([role([{ apiGroups: [''], resources: ['secrets'], verbs: ['delete'] }])]),
          noReview,
          config(),
        )
      ).noop,
    ).toBe(true);
  });
});

describe('permissions needed to apply the fix (RBAC escalation prevention)', () => {
  it('asks for everything the resulting Role grants, including SCC use and delete secrets', () => {
    const qs = resultingRoleQuestions(locateSecretsSubject(base([role(OPERATOR_RULES)]), config()), config());
    expect(qs).toContainEqual({
      verb: 'use',
      group: 'security.openshift.io',
      resource: 'securitycontextconstraints',
      subresource: undefined,
      namespace: NS,
      name: 'nonroot',
    });
    expect(qs).toContainEqual({
      verb: 'delete',
      group: '',
      resource: 'secrets',
      subresource: undefined,
      namespace: NS,
      name: undefined,
    });
    expect(
      qs
        .filter((q) => q.resource === 'pods')
        .map((q) => q.verb)
        .sort(),
    ).toEqual(['create', 'get', 'list', 'watch']);
  });
  it('explains a missing SCC permission with the oc command that grants it', () => {
    const a = {
      verb: 'use',
      group: 'security.openshift.io',
      resource: 'securitycontextconstraints',
      namespace: NS,
      name: 'nonroot',
    };
    expect(permissionText(a)).toBe('use securitycontextconstraints.security.openshift.io "nonroot"');
    expect(grantCommand(a, 'alice')).toBe('oc adm policy add-scc-to-user nonroot alice');
  });
});
