/**
 * The right cause and the right advice, from the real API server's own refusals: a full quota, a
 * namespace being deleted and a rollout that cannot create its pods are not missing permissions,
 * and a fix that was applied is never reported as "in effect: nothing".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixFailedError } from '../../lib/engine/fix';
import { KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { testPort } from '../cluster/paths';
import { access, doctorFor, seed } from './helpers';

const admin = access('admin').app();
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as KubeApiError,
  );

/** A ResourceQuota in `ns` whose hard limits are `hard` (set to what is used now: full). */
const quota = (ns: string, name: string, hard: Record<string, string>) =>
  admin.request('POST', `/api/v1/namespaces/${ns}/resourcequotas`, {
    body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } },
  });

/** Deletes a namespace left by an earlier run of this file and waits until it is gone. */
async function freshNamespace(ns: string) {
  await admin
    .request('PATCH', `/api/v1/namespaces/${ns}/configmaps/hold`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { finalizers: null } },
    })
    .catch(() => undefined);
  await admin.delete(RESOURCES.namespaces, undefined, ns).catch(() => undefined);
  for (let i = 0; i < 300; i++) {
    const gone = await admin.get(RESOURCES.namespaces, undefined, ns).then(
      () => false,
      () => true,
    );
    if (gone) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`namespace ${ns} is still there after 60 s`);
}

describe('a full ConfigMap quota', () => {
  const NS = 'it-cause-quota';
  beforeAll(async () => {
    await freshNamespace(NS);
    await admin.create(RESOURCES.namespaces, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    const used = (await admin.list<KObject>(RESOURCES.configmaps, NS)).items.length;
    await quota(NS, 'cm-quota', { 'count/configmaps': String(used) });
  });

  it('says the quota is full, not that a permission is missing', async () => {
    // The quota controller fills in `used` shortly after: until then the create may pass.
    let err: KubeApiError | undefined;
    for (let i = 0; i < 100 && !err; i++) {
      err = await refusal(admin.create(RESOURCES.configmaps, NS, cm(`probe-${i}`)));
      if (!err) await new Promise((r) => setTimeout(r, 200));
    }
    expect(err?.status).toBe(403);
    expect(err!.message).toMatch(/exceeded quota/);
    expect(err!.message).toMatch(/ResourceQuota in it-cause-quota is full \(a quota, not RBAC\)/);
    expect(err!.message).not.toMatch(/missing permission|add-role-to-user/);
  });
});

describe('a namespace being deleted', () => {
  const NS = 'it-cause-terminating';
  const PORT = testPort(103);
  beforeAll(async () => {
    await freshNamespace(NS);
    await seed(NS, 'healthy', PORT);
    // A finalizer keeps it Terminating until the test lets it go.
    await admin.create(RESOURCES.configmaps, NS, {
      ...cm('hold'),
      metadata: { name: 'hold', finalizers: ['flywheel-doctor.dev/test-hold'] },
    });
    await admin.delete(RESOURCES.namespaces, undefined, NS);
  });
  afterAll(async () => {
    await admin
      .request('PATCH', `/api/v1/namespaces/${NS}/configmaps/hold`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { finalizers: null } },
      })
      .catch(() => undefined);
  });

  it('every run says so, and a fix that creates is refused with that cause', async () => {
    const doctor = doctorFor(NS, PORT);
    const run = await doctor.run();
    expect(run.notice).toMatch(/namespace it-cause-terminating is being deleted \(Terminating since /);
    const err = await refusal(admin.create(RESOURCES.configmaps, NS, cm('new')));
    expect(err?.status).toBe(403);
    expect(err!.message).toMatch(
      /namespace it-cause-terminating is being deleted \(Terminating\): nothing new can be created/,
    );
    expect(err!.message).not.toMatch(/missing permission|add-role-to-user/);
  });
});

describe('a restart under a full pod quota', () => {
  const NS = 'it-cause-pod-quota';
  const PORT = testPort(104);
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
    // Full: as many pods as the quota counts now (pods in a terminal phase do not count).
    const pods = (await admin.list<KObject>(RESOURCES.pods, NS)).items.filter(
      (p) => !['Succeeded', 'Failed'].includes(p.status?.phase),
    ).length;
    await quota(NS, 'pod-quota', { pods: String(pods) });
  });

  it('fails at once with the quota as the cause, and reads back that the restart was applied', async () => {
    const doctor = doctorFor(NS, PORT);
    const err = await doctor.fix('pod-health', { dryRun: false }).then(
      () => undefined,
      (e: unknown) => e as FixFailedError,
    );
    expect(err).toBeInstanceOf(FixFailedError);
    expect(err!.message).toMatch(/was updated but cannot create its new pods: .*exceeded quota/);
    expect(err!.message).toMatch(/a quota, not RBAC/);
    expect(err!.message).toMatch(/in effect: [^;]*restart applied/);
    expect(err!.message).not.toMatch(/in effect: nothing/);
    expect(err!.message).not.toMatch(/fix failed: fix failed/);
  });
});
