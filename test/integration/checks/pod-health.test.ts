/** pod-health on the real cluster: per-workload restarts, and what an empty namespace lacks. */
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../lib/k8s/resources';
import { testPort } from '../../cluster/paths';
import { access, doctorFor, ensureEmptyNamespace, seed } from '../helpers';

it('an empty namespace fails, naming the Deployments the stack needs', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run(['pod-health']);
  expect(run.checks[0]!.status).toBe('fail');
  expect(run.checks[0]!.summary).toMatch(/df-api-deployment/);
});

describe('pod-health fix per workload', () => {
  const ns = 'it-pod-health-target';
  const port = testPort(46);
  const admin = access('admin').app();

  beforeAll(async () => {
    await seed(ns, 'broken', port);
    // A second unhealthy workload: its new pod cannot be scheduled.
    await admin.jsonPatch(RESOURCES.deployments, ns, 'df-api-deployment', [
      { op: 'add', path: '/spec/template/spec/nodeSelector', value: { 'kubernetes.io/hostname': 'no-such-node' } },
    ]);
    // Wait until the scheduler has said no to the new pod.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pods = await admin.list<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        RESOURCES.pods,
        ns,
        { query: { labelSelector: 'app=df-api-deployment' } },
      );
      if (pods.items.some((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')))
        break;
      if (Date.now() > deadline) throw new Error('the unschedulable df-api pod never appeared');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('offers each unhealthy workload as a target and restarts only the one chosen', async () => {
    const d = doctorFor(ns, port);
    const preview = await d.fix('pod-health', { dryRun: true });
    expect(preview.plan.targets).toEqual(expect.arrayContaining(['df-celery-worker-deployment', 'df-api-deployment']));
    // Spec generations (status updates by the controller also move resourceVersions).
    const generation = async (name: string) =>
      (await admin.get<{ metadata: { generation: number } }>(RESOURCES.deployments, ns, name)).metadata.generation;
    const [apiBefore, workerBefore] = [
      await generation('df-api-deployment'),
      await generation('df-celery-worker-deployment'),
    ];
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

  it("refuses a target that is not one of the plan's", async () => {
    await expect(
      doctorFor(ns, port).fix('pod-health', { dryRun: true, target: 'df-redis-deployment' }),
    ).rejects.toThrow(/choose one of/);
  });
});
