/**
 * A preview changes nothing: every fix the registry offers, previewed (CLI --dry-run and the engine
 * alike), leaves no write in the API server's audit log other than server-side dry runs. The PVC
 * fix's preview used to start and delete a probe pod and sweep stale ones.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { FILES, REPO_ROOT, serviceOverridesEnv, testPort } from '../cluster/paths';
import { RESOURCES } from '../../lib/k8s/resources';
import { access, doctorFor, KUBECONFIGS, seed } from './helpers';

const NS = 'it-dry-run';
const PORT = testPort(102);

interface AuditEvent {
  verb: string;
  requestURI: string;
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code: number };
}

beforeAll(async () => {
  await seed(NS, 'broken', PORT);
});

it('no preview of any fix writes anything (audit log)', async () => {
  const from = fs.statSync(FILES.auditLog).size;
  const doctor = doctorFor(NS, PORT);
  const previewed: string[] = [];
  for (const c of CHECKS.filter((x) => x.fix)) {
    const out = await doctor.fix(c.id, { dryRun: true }).catch((e: unknown) => ({ error: String(e) }));
    if ('plan' in out) previewed.push(c.id);
    const cli = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'),
        'fix',
        c.id,
        '--dry-run',
        '--namespace',
        NS,
        '--kubeconfig',
        KUBECONFIGS.admin,
      ],
      { encoding: 'utf8', env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) } },
    );
    expect(cli.stdout + cli.stderr).not.toMatch(/dynamic import/);
  }
  // Every fix that has something to do on `broken` was previewed (the PVC one included).
  expect(previewed).toContain('models-pvc-ownership');
  expect(previewed.length).toBeGreaterThanOrEqual(CHECKS.filter((x) => x.fix).length - 1);
  // The audit log is written asynchronously: a marker written last (elsewhere) says it holds them all.
  const marker = `fd-audit-marker-${Date.now()}`;
  await access('admin')
    .app()
    .create(RESOURCES.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: marker } });
  let writes: AuditEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const fd = fs.openSync(FILES.auditLog, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    fs.closeSync(fd);
    const events = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as AuditEvent);
    writes = events.filter(
      (e) =>
        ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(e.verb) &&
        e.objectRef?.namespace === NS &&
        !/[?&]dryRun=All\b/.test(e.requestURI),
    );
    if (events.some((e) => e.objectRef?.name === marker)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await access('admin').app().delete(RESOURCES.configmaps, 'default', marker);
  expect(writes.map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name ?? ''} ${e.requestURI}`)).toEqual(
    [],
  );
});
