/**
 * evaluator-secrets-delete on the real cluster: a viewer's run says which read it lacks; the additive
 * Role survives the operator's; a binding to a missing Role is named and fixed.
 */
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { OPERATOR_EVALUATOR_RULES } from '../../../checks/evaluator-secrets-delete';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { testPort } from '../../cluster/paths';
import { access, doctorFor, ensureEmptyNamespace, seed } from '../helpers';

const ID = 'evaluator-secrets-delete';

it('a read-only run explains what it may not read', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49), 'readonly').run([ID]);
  // The `view` role does not include RBAC objects: the check says which read it lacks.
  expect(run.checks[0]!.status).toBe('error');
  expect(run.checks[0]!.summary).toMatch(
    /missing permission: list (roles|rolebindings)\.rbac\.authorization\.k8s\.io in namespace .*oc adm policy/,
  );
});

describe('on a seeded broken namespace', () => {
  const ns = 'it-secrets-specific';
  const port = testPort(48);
  const admin = access('admin').app();
  const doctor = () => doctorFor(ns, port);
  beforeAll(async () => {
    await seed(ns, 'broken', port);
  });

  it('the additive Role survives the operator rewriting its own Role', async () => {
    const out = await doctor().fix(ID, { dryRun: false });
    expect(out.outcome).toBe('applied');
    // A reconcile restores the operator's rules (no delete): the check still passes through the separate Role.
    await admin.jsonPatch(RESOURCES.roles, ns, 'nemoevaluator-sample', [
      { op: 'replace', path: '/rules', value: OPERATOR_EVALUATOR_RULES },
    ]);
    const run = await doctor().run([ID]);
    expect(run.checks[0]!.status, run.checks[0]!.summary).toBe('pass');
    expect(run.checks[0]!.summary).toMatch(/granted by Role flywheel-doctor-nemoevaluator-sample-secrets/);
  });

  it('a binding to a Role that does not exist is reported as such, and the fix recreates the Role create-only', async () => {
    // A running operator recreates its Role within a second: the Role stays gone only while the
    // operator is not running (the emulation's harness annotation stands for that).
    const paused = (on: boolean) =>
      admin.request('PATCH', `/apis/apps.nvidia.com/v1alpha1/namespaces/${ns}/nemoevaluators/nemoevaluator-sample`, {
        contentType: 'application/merge-patch+json',
        body: {
          metadata: {
            annotations: {
              'sim.flywheel-doctor.dev/operator-paused': on ? 'true' : null,
              'sim.flywheel-doctor.dev/operator-paused-seen': null,
            },
          },
        },
      });
    await paused(true);
    for (let seen = false; !seen; await new Promise((r) => setTimeout(r, 100))) {
      const cr = await admin.get<KObject>(RESOURCES.nemoevaluators, ns, 'nemoevaluator-sample');
      seen = cr.metadata?.annotations?.['sim.flywheel-doctor.dev/operator-paused-seen'] === 'true';
    }
    onTestFinished(() => paused(false).then(() => undefined));
    await admin.delete(RESOURCES.roles, ns, 'nemoevaluator-sample');
    const run = await doctor().run([ID]);
    expect(run.checks[0]!.status).toBe('fail');
    expect(run.checks[0]!.summary).toMatch(
      /RoleBinding nemoevaluator-sample binds .* to Role nemoevaluator-sample, which does not exist/,
    );
    expect(run.checks[0]!.manualFix.join('\n')).not.toMatch(/oc patch role/);
    expect(run.checks[0]!.fix.available).toBe(true);
    const out = await doctor().fix(ID, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
    const role = await admin.get<{ rules: unknown }>(RESOURCES.roles, ns, 'nemoevaluator-sample');
    expect(role.rules).toEqual(OPERATOR_EVALUATOR_RULES);
  });
});
