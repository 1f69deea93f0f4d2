/**
 * Each check with a fix, from the registry, against the real control plane: seeded broken (and the
 * checks it depends on fixed) -> fail; dry run changes nothing;
 * a concurrent change between plan and apply is detected, not overwritten; a read-only identity
 * gets an explained error; fix -> verified pass; a second fix is a no-op.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { FixConflictError } from '../../lib/engine/fix';
import type { PlanGuard } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES, resourcePath } from '../../lib/k8s/resources';
import { testPort } from '../cluster/paths';
import { access, doctorFor, EMPTY_NS, ensureEmptyNamespace, resourceVersions, seed } from './helpers';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Someone else's edit between preview and apply, chosen by the guarded object's kind (never by check):
 * Roles and ConfigMaps are guarded on resourceVersion, so any edit counts (a label, as `oc label`
 * sends); Deployments and custom resources on their spec generation, so the edit must touch the spec.
 */
const SPEC_EDITS: Record<string, { patch: Record<string, unknown>; kept(o: KObject): boolean }> = {
  Deployment: { patch: { spec: { revisionHistoryLimit: 5 } }, kept: (o) => o.spec?.revisionHistoryLimit === 5 },
  NemoEvaluator: { patch: { spec: { replicas: 1 } }, kept: (o) => o.spec?.replicas === 1 },
  NIMService: { patch: { spec: { replicas: 1 } }, kept: (o) => o.spec?.replicas === 1 },
  NemoCustomizer: { patch: { spec: { replicas: 1 } }, kept: (o) => o.spec?.replicas === 1 },
  NIMCache: {
    patch: { spec: { nodeSelector: { 'concurrent-edit': 'kept' } } },
    kept: (o) => o.spec?.nodeSelector?.['concurrent-edit'] === 'kept',
  },
};
const LABEL_EDIT = {
  patch: { metadata: { labels: { 'concurrent-edit': 'kept' } } },
  kept: (o: KObject) => o.metadata?.labels?.['concurrent-edit'] === 'kept',
};

/** What someone else's object of a kind needs to be valid, when they create it first (else empty). */
const MINIMAL: Record<string, Record<string, unknown>> = {
  RoleBinding: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [] },
};

function concurrentEditOf(guard: PlanGuard) {
  const m = guard.target.match(/^(\w+) ([^/]+)\/(.+)$/)!;
  const [, kind, , name] = m;
  const type = Object.values(RESOURCES).find((t) => t.kind === kind)!;
  const edit = guard.field === 'generation' ? SPEC_EDITS[kind!] : LABEL_EDIT; // absent: created with the label
  if (!edit) throw new Error(`no spec edit known for kind ${kind}: add one to SPEC_EDITS`);
  return { type, name: name!, ...edit };
}

const CASES = CHECKS.filter((c) => c.fix).map((c, i) => ({ id: c.id, port: testPort(60 + i) }));

describe.each(CASES)('$id on the real cluster', ({ id, port }) => {
  const ns = `it-${id}`.slice(0, 40);
  const admin = access('admin').app();
  const doctor = () => doctorFor(ns, port);

  beforeAll(async () => {
    await seed(ns, 'broken', port);
    // A check judged through others (dependsOn) passes only once they do: fix those first, as Fix all does.
    for (const dep of CHECKS.find((c) => c.id === id)!.dependsOn ?? []) await doctor().fix(dep, { dryRun: false });
  });

  it('fails on the seeded broken namespace', async () => {
    const run = await doctor().run([id]);
    expect(run.checks[0]!.status).toBe('fail');
  });

  it('the failing result offers its fix, and the dry run plans it', async () => {
    const result = (await doctor().run([id])).checks[0]!;
    expect(result.fix.available, result.fix.reason).toBe(true);
    expect((await doctor().fix(id, { dryRun: true })).outcome).toBe('planned');
  });

  it('dry run plans the change and changes nothing', async () => {
    const before = await resourceVersions(admin, ns);
    const out = await doctor().fix(id, { dryRun: true });
    expect(out.outcome).toBe('planned');
    expect(out.plan.noop).toBe(false);
    expect(out.plan.changes.length).toBeGreaterThan(0);
    expect(await resourceVersions(admin, ns)).toEqual(before);
    expect((await doctor().run([id])).checks[0]!.status).toBe('fail');
  });

  it('a read-only identity gets an explained error and nothing changes', async () => {
    const before = await resourceVersions(admin, ns);
    const err = await doctorFor(ns, port, 'readonly')
      .fix(id, { dryRun: false })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/oc adm policy|missing permission|forbidden/i);
    expect(err!.message).not.toMatch(/\n\s+at /); // no stack trace
    expect(await resourceVersions(admin, ns)).toEqual(before);
  });

  it('refuses to apply a plan other than the one previewed (409 with the new plan)', async () => {
    const preview = await doctor().fix(id, { dryRun: true });
    const before = await resourceVersions(admin, ns);
    const err = await doctor()
      .fix(id, {
        dryRun: false,
        expectedFingerprint: `stale-${preview.plan.fingerprint}`,
      })
      .then(
        () => undefined,
        (e: FixConflictError) => e,
      );
    expect(err).toBeInstanceOf(FixConflictError);
    expect(err!.message).toMatch(/plan changed since you previewed it/);
    expect((err!.plan as { fingerprint: string }).fingerprint).toBe(preview.plan.fingerprint);
    expect(await resourceVersions(admin, ns)).toEqual(before);
  });

  it('detects a concurrent change to any object it guards, and does not overwrite it', async () => {
    const { guards } = (await doctor().fix(id, { dryRun: true })).plan;
    // Each guarded object in turn (not only the first), from a fresh preview each time.
    for (const [i] of guards.entries()) {
      const preview = await doctor().fix(id, { dryRun: true });
      const guard = preview.plan.guards[i]!;
      const edit = concurrentEditOf(guard);
      if (guard.field === 'absent') {
        // The plan creates this object: someone else creates one of that name first (a Role or ConfigMap with no content).
        await admin.create(edit.type, ns, {
          metadata: { name: edit.name, labels: { 'concurrent-edit': 'kept' } },
          ...MINIMAL[guard.target.split(' ')[0]!],
        });
      } else {
        await admin.request('PATCH', resourcePath(edit.type, ns, edit.name), {
          contentType: 'application/merge-patch+json',
          body: edit.patch,
        });
      }
      const err = await doctor()
        .fix(id, { dryRun: false, expectedGuards: preview.plan.guards, expectedFingerprint: preview.plan.fingerprint })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err, guard.target).toBeInstanceOf(FixConflictError);
      expect(err!.message).toMatch(/changed since you previewed/);
      expect(edit.kept(await admin.get(edit.type, ns, edit.name))).toBe(true);
      expect((await doctor().run([id])).checks[0]!.status).toBe('fail');
      // Put the namespace back as seeded for the next case.
      if (guard.field === 'absent') await admin.delete(edit.type, ns, edit.name);
    }
  });

  it('fix applies, waits and returns a verified pass; a second fix is a no-op', async () => {
    const d = doctor();
    const before = await d.run([id], 'request');
    const out = await d.fix(id, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
    // A person's "Run all" right after the fix is never answered by the run that read before it.
    const after = await d.run([id], 'request');
    expect(after.id).not.toBe(before.id);
    expect(after.checks[0]!.status).toBe('pass');
    const again = await doctor().fix(id, { dryRun: false });
    expect(again.outcome).toBe('noop');
    if (again.outcome === 'noop') expect(again.verified.status).toBe('pass');
  });
});

describe('guidance instead of crashes', () => {
  it('an empty namespace gives every check an explained result, never a throw, and never a healthy verdict', async () => {
    const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run();
    expect(run.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of run.checks) expect(c.summary.length, `${c.id} says why`).toBeGreaterThan(10);
    expect(run.verdict).not.toBe('healthy');
    // No fix is offered that will then be refused; a fix not offered is refused with the same reason.
    for (const c of run.checks.filter((x) => CHECKS.find((k) => k.id === x.id)!.fix)) {
      const attempt = await doctorFor(EMPTY_NS, testPort(49))
        .fix(c.id, { dryRun: true })
        .then(
          (o) => o.outcome,
          (e: Error) => e.message,
        );
      if (c.fix.available) expect(attempt, c.id).toBe('planned');
      else
        expect(attempt, c.id).toMatch(
          c.status === 'pass' ? /planned/ : new RegExp(`no automatic fix: ${escape(c.fix.reason!)}`),
        );
    }
  });

  it('a missing namespace is one clear answer from every check', async () => {
    const run = await doctorFor('it-does-not-exist', testPort(49)).run();
    expect(run.error).toMatch(/namespace it-does-not-exist does not exist: check --namespace/);
    expect(run.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of run.checks) {
      expect(c.status, c.id).toBe('error');
      expect(c.summary, c.id).toBe(run.error);
    }
    expect(run.verdict).toBe('incomplete');
  });
});
