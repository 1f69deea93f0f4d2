/**
 * models-pvc-ownership on the real cluster: files carry no resourceVersion, so apply re-probes; a
 * viewer's run says it may not create the probe pod; no PVC means skipped.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILES, testPort } from '../../cluster/paths';
import { access, doctorFor, ensureEmptyNamespace, podNames, seed } from '../helpers';

const ID = 'models-pvc-ownership';

describe(`${ID} on a seeded broken namespace`, () => {
  const ns = 'it-pvc-specific';
  const port = testPort(47);
  const admin = access('admin').app();
  beforeAll(async () => {
    await seed(ns, 'broken', port);
  });

  it('someone else fixes the files between preview and apply: apply re-probes and runs no root pod', async () => {
    const preview = await doctorFor(ns, port).fix(ID, { dryRun: true });
    expect(preview.plan.noop).toBe(false);
    execFileSync('chown', ['-R', '1000920000:1000', path.join(FILES.pv, ns, 'models')]);
    const podsBefore = await podNames(admin, ns);
    const out = await doctorFor(ns, port).fix(ID, { dryRun: false, expectedGuards: preview.plan.guards });
    expect(out.outcome).toBe('noop');
    expect(await podNames(admin, ns)).toEqual(podsBefore);
    execFileSync('chown', ['-R', '1000:1000', path.join(FILES.pv, ns, 'models')]);
  });

  it('a read-only run says it may not create the probe pod, and how to get that', async () => {
    const run = await doctorFor(ns, port, 'readonly').run([ID]);
    expect(run.checks[0]!.status).toBe('error');
    expect(run.checks[0]!.summary).toMatch(
      /missing permission: create pods in namespace .*oc adm policy add-role-to-user edit flywheel-viewer/,
    );
  });
});

it('an empty namespace is skipped (no PVC); a missing one is explained', async () => {
  expect((await doctorFor(await ensureEmptyNamespace(), testPort(49)).run([ID])).checks[0]!.status).toBe('skipped');
  expect(['error', 'skipped']).toContain(
    (await doctorFor('it-does-not-exist', testPort(49)).run([ID])).checks[0]!.status,
  );
});
