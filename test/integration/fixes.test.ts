/**
 * Each check against the real control plane: seeded broken -> fail; dry run changes nothing;
 * a concurrent change between plan and apply is detected, not overwritten; a read-only identity
 * gets an explained error; fix -> verified pass; a second fix is a no-op.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FixConflictError } from '../../lib/engine/fix';
import { RESOURCES, resourcePath } from '../../lib/k8s/resources';
import { FILES, testPort } from '../cluster/paths';
import { access, doctorFor, podNames, resourceVersions, seed } from './helpers';

/** Someone else's edit between preview and apply (a merge patch, as `oc label`/`oc patch` send), and how to see it survived. */
interface ConcurrentEdit {
  type: (typeof RESOURCES)[keyof typeof RESOURCES];
  name: string;
  patch: Record<string, unknown>;
  kept(obj: { metadata: { labels?: Record<string, string> }; spec?: Record<string, unknown> }): boolean;
}
// Roles and ConfigMaps are guarded on resourceVersion: any edit counts. Deployments and custom
// resources are guarded on their spec generation: a spec edit counts, controller status updates do not.
const labelEdit = (type: ConcurrentEdit['type'], name: string): ConcurrentEdit => ({ type, name, patch: { metadata: { labels: { 'concurrent-edit': 'kept' } } }, kept: (o) => o.metadata.labels?.['concurrent-edit'] === 'kept' });

const CASES: Array<{ id: string; port: number; edit?: ConcurrentEdit }> = [
  { id: 'evaluator-entity-store-url', port: testPort(41), edit: { type: RESOURCES.nemoevaluators, name: 'nemoevaluator-sample', patch: { spec: { replicas: 1 } }, kept: (o) => o.spec?.replicas === 1 } },
  { id: 'evaluator-secrets-delete', port: testPort(42), edit: labelEdit(RESOURCES.roles, 'nemoevaluator-sample') },
  { id: 'models-pvc-ownership', port: testPort(43) },
  { id: 'gateway-model-mocks', port: testPort(44), edit: labelEdit(RESOURCES.configmaps, 'nemo-gateway-config') },
  { id: 'pod-health', port: testPort(45), edit: { type: RESOURCES.deployments, name: 'df-celery-worker-deployment', patch: { spec: { revisionHistoryLimit: 5 } }, kept: (o) => o.spec?.revisionHistoryLimit === 5 } },
];

describe.each(CASES)('$id on the real cluster', ({ id, port, edit }) => {
  const ns = `it-${id}`.slice(0, 40);
  const admin = access('admin').app();
  const doctor = () => doctorFor(ns, port);

  beforeAll(async () => {
    await seed(ns, 'broken', port);
  });

  it('fails on the seeded broken namespace', async () => {
    const run = await doctor().run([id]);
    expect(run.checks[0]!.status).toBe('fail');
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
    const err = await doctorFor(ns, port, 'readonly').fix(id, { dryRun: false }).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/oc adm policy|missing permission|forbidden/i);
    expect(err!.message).not.toMatch(/\n\s+at /); // no stack trace
    expect(await resourceVersions(admin, ns)).toEqual(before);
  });

  it('detects a concurrent change between plan and apply and does not overwrite it', async () => {
    const preview = await doctor().fix(id, { dryRun: true });
    if (edit) {
      await admin.request('PATCH', resourcePath(edit.type, ns, edit.name), { contentType: 'application/merge-patch+json', body: edit.patch });
      const err = await doctor().fix(id, { dryRun: false, expectedGuards: preview.plan.guards }).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(FixConflictError);
      expect(err!.message).toMatch(/changed since you previewed/);
      expect(edit.kept(await admin.get(edit.type, ns, edit.name))).toBe(true);
      expect((await doctor().run([id])).checks[0]!.status).toBe('fail');
    } else {
      // Files carry no resourceVersion: apply re-probes. Someone else fixes them first -> no root pod runs.
      execFileSync('chown', ['-R', '1000920000:1000', path.join(FILES.pv, ns, 'models')]);
      const podsBefore = await podNames(admin, ns);
      const out = await doctor().fix(id, { dryRun: false, expectedGuards: preview.plan.guards });
      expect(out.outcome).toBe('noop');
      expect(await podNames(admin, ns)).toEqual(podsBefore);
      execFileSync('chown', ['-R', '1000:1000', path.join(FILES.pv, ns, 'models')]);
    }
  });

  it('fix applies, waits and returns a verified pass; a second fix is a no-op', async () => {
    const out = await doctor().fix(id, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
    const again = await doctor().fix(id, { dryRun: false });
    expect(again.outcome).toBe('noop');
    if (again.outcome === 'noop') expect(again.verified.status).toBe('pass');
  });
});

describe('guidance instead of crashes', () => {
  it('an empty namespace gives every check an explained error or skip, never a throw', async () => {
    const admin = access('admin').app();
    const ns = 'it-empty';
    await admin.create(RESOURCES.namespaces, undefined, { metadata: { name: ns } }).catch(() => undefined);
    const run = await doctorFor(ns, testPort(49)).run();
    const byId = Object.fromEntries(run.checks.map((c) => [c.id, c]));
    expect(byId['evaluator-entity-store-url']!.status).toBe('error');
    expect(byId['evaluator-entity-store-url']!.summary).toMatch(/evaluator\.deployment/);
    expect(byId['models-pvc-ownership']!.status).toBe('skipped');
    expect(byId['gateway-model-mocks']!.status).toBe('skipped');
    expect(byId['pod-health']!.status).toBe('fail');
    expect(byId['pod-health']!.summary).toMatch(/df-api-deployment/);
    expect(run.verdict).not.toBe('healthy');
  });

  it('a missing namespace is explained', async () => {
    const run = await doctorFor('it-does-not-exist', testPort(49)).run(['models-pvc-ownership', 'evaluator-entity-store-url']);
    for (const c of run.checks) expect(['error', 'skipped']).toContain(c.status);
  });

  it('a read-only run explains what it may not do', async () => {
    const ns = 'it-evaluator-secrets-delete';
    const run = await doctorFor(ns, testPort(42), 'readonly').run(['models-pvc-ownership', 'evaluator-secrets-delete']);
    const pvc = run.checks.find((c) => c.id === 'models-pvc-ownership')!;
    expect(pvc.status).toBe('error');
    expect(pvc.summary).toMatch(/missing permission: create pods in namespace .*oc adm policy add-role-to-user edit flywheel-viewer/);
    // The `view` role does not include RBAC objects: the check says which read it lacks.
    const sec = run.checks.find((c) => c.id === 'evaluator-secrets-delete')!;
    expect(sec.status).toBe('error');
    expect(sec.summary).toMatch(/missing permission: list (roles|rolebindings)\.rbac\.authorization\.k8s\.io in namespace .*oc adm policy/);
  });
});

describe('pod-health fix per workload', () => {
  const ns = 'it-pod-health-target';
  const port = testPort(46);
  const admin = access('admin').app();

  beforeAll(async () => {
    await seed(ns, 'broken', port);
    // A second unhealthy workload: its new pod cannot be scheduled.
    await admin.jsonPatch(RESOURCES.deployments, ns, 'df-api-deployment', [{ op: 'add', path: '/spec/template/spec/nodeSelector', value: { 'kubernetes.io/hostname': 'no-such-node' } }]);
    // Wait until the scheduler has said no to the new pod.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pods = await admin.list<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(RESOURCES.pods, ns, { query: { labelSelector: 'app=df-api-deployment' } });
      if (pods.items.some((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'))) break;
      if (Date.now() > deadline) throw new Error('the unschedulable df-api pod never appeared');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('offers each unhealthy workload as a target and restarts only the one chosen', async () => {
    const d = doctorFor(ns, port);
    const preview = await d.fix('pod-health', { dryRun: true });
    expect(preview.plan.targets).toEqual(expect.arrayContaining(['df-celery-worker-deployment', 'df-api-deployment']));
    // Spec generations (status updates by the controller also move resourceVersions).
    const generation = async (name: string) => (await admin.get<{ metadata: { generation: number } }>(RESOURCES.deployments, ns, name)).metadata.generation;
    const [apiBefore, workerBefore] = [await generation('df-api-deployment'), await generation('df-celery-worker-deployment')];
    const out = await d.fix('pod-health', { dryRun: false, target: 'df-celery-worker-deployment' });
    expect(out.outcome).toBe('applied');
    expect(out.plan.changes.map((c) => c.target)).toEqual([`Deployment ${ns}/df-celery-worker-deployment`]);
    expect(await generation('df-api-deployment')).toBe(apiBefore);
    expect(await generation('df-celery-worker-deployment')).toBe(workerBefore + 1);
    // The unschedulable workload is still reported, with the scheduler's message.
    if (out.outcome === 'applied') {
      expect(out.verified.status).toBe('fail');
      expect(out.verified.evidence.map((e) => e.value).join()).toMatch(/not scheduled: .*node affinity\/selector/);
    }
  });

  it('refuses a target that is not one of the plan\'s', async () => {
    await expect(doctorFor(ns, port).fix('pod-health', { dryRun: true, target: 'df-redis-deployment' })).rejects.toThrow(/choose one of/);
  });
});
