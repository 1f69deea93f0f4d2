/**
 * Locks on the objects fixes touch, on the real API server: two different gateway fixes started at
 * once (both edit nemo-gateway-config and restart nemo-gateway) end with both in effect or one
 * refused with 409 and nothing lost; a held lock is renewed while its fix works; a lock taken over
 * by another process is not deleted by the one that lost it; leftovers of a dead process are swept.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FixConflictError } from '../../lib/engine/fix';
import { sweepLeftovers } from '../../lib/engine/janitor';
import { lockName, withLocks } from '../../lib/engine/lock';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { REPO_ROOT, serviceOverridesEnv, testPort } from '../cluster/paths';
import { access, doctorFor, KUBECONFIGS, seed } from './helpers';

const NS = 'it-locks';
const PORT = testPort(101);
const admin = access('admin').app();

/** `fix <id> --yes` in a CLI process: its exit code and output. */
function cliFix(id: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'),
        'fix',
        id,
        '--yes',
        '--namespace',
        NS,
        '--kubeconfig',
        KUBECONFIGS.admin,
      ],
      { env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) } },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

beforeAll(async () => {
  await seed(NS, 'broken', PORT);
});

describe('two gateway fixes at once', () => {
  it('end with both in effect, or one refused with 409 and, fixed again, both in effect', async () => {
    const doctor = doctorFor(NS, PORT);
    const [cli, api] = await Promise.all([
      cliFix('gateway-upstreams'),
      doctor.fix('gateway-deployment-mocks', { dryRun: false }).then(
        (o) => ({ ok: true as const, o }),
        (e: unknown) => ({ ok: false as const, e }),
      ),
    ]);
    const refused: string[] = [];
    if (cli.code !== 0) {
      expect(cli.out).toMatch(/not applied: another fix is changing|another change landed first|cluster changed since/);
      refused.push('gateway-upstreams');
    }
    if (!api.ok) {
      expect(api.e).toBeInstanceOf(FixConflictError);
      refused.push('gateway-deployment-mocks');
    } else expect('verified' in api.o && api.o.verified.status).toBe('pass');
    expect(refused.length, `${cli.out}\n${api.ok ? '' : String(api.e)}`).toBeLessThan(2);
    // The refused one, applied again, then both pass (nothing lost); the gateway answers.
    for (const id of refused) await doctor.fix(id, { dryRun: false });
    const after = await doctor.run(['gateway-upstreams', 'gateway-deployment-mocks']);
    expect(after.checks.map((c) => `${c.id}: ${c.status} ${c.status === 'pass' ? '' : c.summary}`)).toEqual([
      'gateway-upstreams: pass ',
      'gateway-deployment-mocks: pass ',
    ]);
    const ns = await fetch(`http://127.0.0.1:${PORT}/v1/namespaces`);
    expect(ns.status).toBe(200);
    // No lock is left behind.
    const leases = await admin.list<KObject>(RESOURCES.leases, NS);
    expect(leases.items.filter((l) => /^flywheel-doctor-(lock|fix)-/.test(l.metadata!.name!))).toEqual([]);
  });
});

describe('a lock', () => {
  it('is renewed while held, and released only if still ours', async () => {
    const key = 'ConfigMap it-locks/renewal-probe';
    const name = lockName(key);
    const renewals: string[] = [];
    await withLocks(
      admin,
      NS,
      [key],
      'test',
      async () => {
        for (;;) {
          const l = await admin.get<KObject>(RESOURCES.leases, NS, name);
          if (!renewals.includes(l.spec.renewTime)) renewals.push(l.spec.renewTime);
          if (renewals.length >= 3) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        // Another process takes it over (as after an expiry): the release must leave it alone.
        const l = await admin.get<KObject>(RESOURCES.leases, NS, name);
        await admin.request('PUT', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`, {
          body: { ...l, spec: { ...l.spec, holderIdentity: 'other (elsewhere pid 1 boot 00000001)' } },
        });
      },
      { renewMs: 200 },
    );
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    const kept = await admin.get<KObject>(RESOURCES.leases, NS, name);
    expect(kept.spec.holderIdentity).toMatch(/^other/);
    await admin.delete(RESOURCES.leases, NS, name);
  });

  it('left by a process that died is swept, with the pods it started', async () => {
    const dead = 'bob (HOST pid 999999999 boot 0badc0de)'.replace('HOST', (await import('node:os')).hostname());
    const name = lockName('ConfigMap it-locks/left-behind');
    await admin.create(RESOURCES.leases, NS, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        labels: { 'app.kubernetes.io/managed-by': 'flywheel-doctor', 'flywheel-doctor.dev/lock': 'true' },
      },
      spec: {
        holderIdentity: dead,
        leaseDurationSeconds: 120,
        renewTime: new Date()
          .toISOString()
          .replace('Z', '000Z')
          .replace(/\.(\d{3})000000Z$/, '.$1000Z'),
      },
    });
    await admin.create(RESOURCES.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'fd-pvc-chown-leftover',
        labels: { 'flywheel-doctor.dev/role': 'pvc-fix', 'app.kubernetes.io/managed-by': 'flywheel-doctor' },
        annotations: { 'flywheel-doctor.dev/created-by': dead.slice(5, -1) },
      },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'registry.invalid/none:1', command: ['true'] }],
      },
    });
    const removed = await sweepLeftovers(admin, NS);
    expect(removed.sort()).toEqual([`lease ${name}`, 'pod fd-pvc-chown-leftover']);
  });
});
