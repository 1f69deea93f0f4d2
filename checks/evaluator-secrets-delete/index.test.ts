import { ruleQuestions } from '../../lib/engine/steps';
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, planWith, outcome } from '../../lib/engine/testing';
import { grantCommand, permissionText } from '../../lib/k8s/errors';
import check, {
  additiveName,
  coversSecrets,
  FIX_LABEL,
  locateSecretsSubject,
  OPERATOR_EVALUATOR_RULES,
  type SecretsProbe,
} from '.';
import { config, evaluatorDeployment, NS, OPERATOR_RULES, role, roleBinding } from '../test-fixtures';

const SA = 'nemoevaluator-sample';
const OPERATOR_BINDING = roleBinding(SA, SA);
const snap = (roles: unknown[], bindings: unknown[] = [OPERATOR_BINDING], deployments = [evaluatorDeployment([])]) =>
  Snapshot.fromFixture(NS, { deployments, roles: roles as never, rolebindings: bindings as never });
const noReview: SecretsProbe = { reviewError: 'the doctor may not create subjectaccessreviews' };
const allowed: SecretsProbe = { review: { allowed: true } };
const denied: SecretsProbe = { review: { allowed: false } };
const judge = (s: Snapshot, probe: SecretsProbe = noReview) => judgeWith(check, s, probe, config());
const secretsRule = (verbs: string[], resourceNames?: string[]) => ({
  apiGroups: [''],
  resources: ['secrets'],
  verbs,
  resourceNames,
});
const additiveRole = () => ({
  ...role([secretsRule(['get', 'list', 'create', 'delete'])], additiveName(SA)),
  metadata: { name: additiveName(SA), namespace: NS, labels: { [FIX_LABEL]: 'evaluator-secrets-delete' } },
});

describe('coversSecrets', () => {
  it('matches by content and honours wildcards, not resourceNames-limited rules', () => {
    expect(coversSecrets({ apiGroups: [''], resources: ['pods', 'secrets'] })).toBe(true);
    expect(coversSecrets({ apiGroups: ['*'], resources: ['*'] })).toBe(true);
    expect(coversSecrets({ apiGroups: ['apps'], resources: ['secrets'] })).toBe(false);
    expect(coversSecrets(secretsRule(['delete'], ['one']))).toBe(false);
  });
});

// Every distinct summary the check can produce, one case each.
describe('evaluator-secrets-delete summaries', () => {
  it.each([
    [
      'error: neither the evaluator nor its Role exists',
      snap([], [], []),
      noReview,
      'FD-EVSEC-001',
      /Neither the evaluator Deployment .* nor its Role .* exists/,
    ],
    [
      'pass: the API server allows it and a bound Role grants it',
      snap([role([secretsRule(['delete'])])]),
      allowed,
      'pass',
      /may delete secrets in flywheel \(granted by Role nemoevaluator-sample\)$/,
    ],
    [
      'pass: allowed by something outside the bound Roles',
      snap([role(OPERATOR_RULES)]),
      allowed,
      'pass',
      /granted outside the Roles bound here/,
    ],
    [
      'pass by rules when no review is possible',
      snap([role([secretsRule(['*'])])]),
      noReview,
      'pass',
      /judged by the Role rules: SubjectAccessReview not available/,
    ],
    [
      'fail: the operator rule lacks delete',
      snap([role(OPERATOR_RULES)]),
      denied,
      'FD-EVSEC-005',
      /Role nemoevaluator-sample grants get, watch, list, create on secrets but not delete/,
    ],
    [
      'fail: delete limited by resourceNames',
      snap([role([secretsRule(['get', 'delete'], ['a', 'b'])])]),
      denied,
      'FD-EVSEC-003',
      /covers only the secrets a, b: the evaluator deletes secrets with generated names/,
    ],
    [
      'fail: a Role grants delete but the API server denies it',
      snap([role([secretsRule(['delete'])])]),
      denied,
      'FD-EVSEC-004',
      /grants delete on secrets, but the API server denies it/,
    ],
    [
      'fail: no rule on secrets',
      snap([role([OPERATOR_RULES[0]])]),
      denied,
      'FD-EVSEC-006',
      /No Role bound to nemoevaluator-sample has a rule on secrets/,
    ],
    [
      'fail: the binding names a Role that does not exist',
      snap([]),
      allowed,
      'FD-EVSEC-002',
      /RoleBinding nemoevaluator-sample binds nemoevaluator-sample to Role nemoevaluator-sample, which does not exist/,
    ],
  ] as const)('%s', (_name, s, probe, code, summary) => {
    const r = judge(s, probe);
    expect(outcome(r)).toBe(code);
    expect(r.summary).toMatch(summary);
  });

  it('finds Roles through RoleBindings of the service account, by content, wherever the rule sits', () => {
    const s = snap(
      [role(OPERATOR_RULES), role([secretsRule(['delete'])], 'extra')],
      [OPERATOR_BINDING, roleBinding('extra', SA)],
    );
    expect(judge(s).status).toBe('pass');
    expect(judge(snap([role([secretsRule(['get', 'delete']), ...OPERATOR_RULES])])).status).toBe('pass');
  });
  it('tolerates malformed rules (missing fields)', () => {
    expect(outcome(judge(snap([role([{}, { verbs: ['delete'] }])])))).toBe('FD-EVSEC-006');
  });
  it('a binding to a missing Role says what the operator renders and never tells to patch the missing Role', () => {
    const r = judge(snap([]), allowed);
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(
      /renders it with get, watch, list, create on secrets and pods/,
    );
    expect(r.manualFix!.join('\n')).not.toMatch(/oc patch role/);
    expect(r.manualFix!.join('\n')).toMatch(/oc create role nemoevaluator-sample /);
  });
});

describe('evaluator-secrets-delete fix', () => {
  const plan = (s: Snapshot, probe: SecretsProbe = denied) => planWith(check, s, probe, config());
  const created = async (s: Snapshot, probe?: SecretsProbe) =>
    ((await plan(s, probe)).data as { creates: Array<{ kind: string; metadata: { name: string } }> }).creates.map(
      (o) => `${o.kind} ${o.metadata.name}`,
    );

  it('creates a separate Role and RoleBinding, create-only, and explains why not the operator Role', async () => {
    const p = await plan(snap([role(OPERATOR_RULES)]));
    expect(p.noop).toBe(false);
    expect(await created(snap([role(OPERATOR_RULES)]))).toEqual([
      `Role ${additiveName(SA)}`,
      `RoleBinding ${additiveName(SA)}`,
    ]);
    expect(p.guards.every((g) => g.field === 'absent')).toBe(true);
    expect(p.risks.join(' ')).toMatch(/the NIM Operator restores its own Role/);
  });
  it('finishes a partly applied fix: only the missing binding is created', async () => {
    expect(await created(snap([role(OPERATOR_RULES), additiveRole()]))).toEqual([`RoleBinding ${additiveName(SA)}`]);
  });
  it('recreates the operator Role a binding names, with the operator rules', async () => {
    const p = await plan(snap([]), allowed);
    const creates = (p.data as { creates: Array<{ kind: string; rules?: unknown }> }).creates;
    expect(creates).toHaveLength(1);
    expect(creates[0]!.rules).toEqual(OPERATOR_EVALUATOR_RULES);
  });
  it('is a no-op when delete is already allowed', async () => {
    expect((await plan(snap([role([secretsRule(['delete'])])]), allowed)).noop).toBe(true);
  });
  it('offers no fix when a binding names an unknown Role, or a Role of ours was replaced by someone else', () => {
    const unknown = snap([role(OPERATOR_RULES)], [OPERATOR_BINDING, roleBinding('custom-role', SA, 'custom-binding')]);
    const s = locateSecretsSubject(unknown, config());
    const finding = judge(unknown, denied);
    expect(
      check.fix!.available!({ snapshot: unknown, subject: s, probe: denied, finding, config: config() }),
    ).toMatchObject({ reason: /custom-role, whose rules Flywheel Doctor cannot know/ });
    const foreign = snap([role(OPERATOR_RULES), role([secretsRule(['get'])], additiveName(SA))]);
    expect(
      check.fix!.available!({
        snapshot: foreign,
        subject: locateSecretsSubject(foreign, config()),
        probe: denied,
        finding,
        config: config(),
      }),
    ).toMatchObject({ reason: /not created by Flywheel Doctor/ });
  });
});

describe('permissions needed to apply the fix (RBAC escalation prevention)', () => {
  it('asks for everything the created Roles grant', () => {
    const qs = check.fix!.permissions(config(), locateSecretsSubject(snap([]), config()));
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
    expect(ruleQuestions([secretsRule(['get', 'delete'])], NS).map((q) => q.verb)).toEqual(['get', 'delete']);
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
