/**
 * evaluator-init-image on the real cluster with the NIM Operator emulation: the env added to the
 * migration init container is dropped by the next re-render (a CR patch), and the fix that patched
 * the CR re-checks it at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { testPort } from '../../cluster/paths';
import { access, doctorFor, seed } from '../helpers';

const ID = 'evaluator-init-image';

describe('the operator re-render drops EVALUATOR_IMAGE; the CR patch re-checks it', () => {
  const ns = 'it-init-image';
  const port = testPort(45);
  const doctor = () => doctorFor(ns, port);
  const admin = access('admin').app();
  const migrationEnv = async () => {
    const d = await admin.get<KObject>(RESOURCES.deployments, ns, 'nemoevaluator-sample');
    const init = (d.spec.template.spec.initContainers as Array<{ name: string; env?: Array<{ name: string }> }>).find(
      (c) => c.name === 'evaluator-db-migration',
    );
    return (init?.env ?? []).map((e) => e.name);
  };

  beforeAll(async () => {
    await seed(ns, 'broken', port);
  });

  it('is fixed on the init container found by name', async () => {
    const out = await doctor().fix(ID, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
    expect(await migrationEnv()).toContain('EVALUATOR_IMAGE');
  });

  it('a fix that patches the NemoEvaluator CR makes the operator drop it, and says so in its outcome', async () => {
    const out = await doctor().fix('evaluator-nim-proxy-url', { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome !== 'applied') return;
    expect(out.verified.status).toBe('pass');
    const recheck = out.affected?.find((a) => a.id === ID);
    expect(recheck?.status, recheck?.summary).toBe('fail');
    expect(await migrationEnv()).not.toContain('EVALUATOR_IMAGE');
    // Applied again after the CR patch (the order Fix all uses), it stays.
    const again = await doctor().fix(ID, { dryRun: false });
    if (again.outcome === 'applied') expect(again.verified.status).toBe('pass');
    expect(await migrationEnv()).toContain('EVALUATOR_IMAGE');
  });
});
