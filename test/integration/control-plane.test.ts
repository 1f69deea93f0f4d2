/**
 * Proves the local control plane is a real Kubernetes API: RBAC with escalation prevention,
 * JSON Patch test ops, Deployment rollouts to Ready pods, and the seeded nginx gateway.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../lib/k8s/errors';
import { serviceAccountToken, type KubeClient } from '../../lib/k8s/client';
import { RESOURCES } from '../../lib/k8s/resources';
import { waitForRollout } from '../../lib/k8s/wait';
import type { KObject } from '../../lib/k8s/object';
import { testPort } from '../cluster/paths';
import { access, seed } from './helpers';

const NS = 'it-control-plane';
const PORT = testPort(30);
let admin: KubeClient;

beforeAll(async () => {
  admin = access('admin').app();
  await seed(NS, 'broken', PORT);
});

async function expectApiError(p: Promise<unknown>): Promise<KubeApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeApiError);
  return err as KubeApiError;
}

describe('the local control plane', () => {
  it('reports its real version', async () => {
    const v = await admin.request<{ gitVersion: string }>('GET', '/version');
    expect(v.gitVersion).toBe('v1.34.4');
  });

  it('answers a read-only identity with a 403 Status on a patch', async () => {
    const viewer = access('readonly').app();
    const err = await expectApiError(
      viewer.jsonPatch(RESOURCES.configmaps, NS, 'df-config', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }]),
    );
    expect(err.status).toBe(403);
    expect(err.reason).toBe('Forbidden');
    expect(err.apiMessage).toContain('cannot patch resource "configmaps"');
    expect(err.message).toContain('oc adm policy add-role-to-user edit');
  });

  it('refuses a Role patch that grants delete on secrets to an identity without it (escalation prevention)', async () => {
    // A service account that may patch Roles but not delete secrets.
    await admin.create(
      { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
      NS,
      { metadata: { name: 'role-patcher' } },
    );
    await admin.create(RESOURCES.roles, NS, {
      metadata: { name: 'role-patcher' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['get', 'patch'] }],
    });
    await admin.create(RESOURCES.rolebindings, NS, {
      metadata: { name: 'role-patcher' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'role-patcher' },
      subjects: [{ kind: 'ServiceAccount', name: 'role-patcher', namespace: NS }],
    });
    const token = await serviceAccountToken(admin, NS, 'role-patcher', 600);
    const patcher = access('admin').as({ kind: 'token', token });
    const err = await expectApiError(
      patcher.jsonPatch(RESOURCES.roles, NS, 'nemoevaluator-sample', [
        { op: 'add', path: '/rules/1/verbs/-', value: 'delete' },
      ]),
    );
    expect(err.status).toBe(403);
    expect(err.apiMessage).toMatch(/attempting to grant RBAC permissions not currently held/);
    expect(err.message).toMatch(/escalation prevention/);
    // It really may patch Roles: one whose permissions it holds (its own) changes fine.
    await patcher.request('PATCH', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/role-patcher`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'patched-by': 'role-patcher' } } },
    });
  });

  it('rejects a JSON Patch whose test op fails, and changes nothing', async () => {
    const before = await admin.get<KObject>(RESOURCES.roles, NS, 'nemoevaluator-sample');
    const err = await expectApiError(
      admin.jsonPatch(RESOURCES.roles, NS, 'nemoevaluator-sample', [
        { op: 'test', path: '/rules/1/verbs', value: ['get'] },
        { op: 'add', path: '/rules/1/verbs/-', value: 'delete' },
      ]),
    );
    expect(err.status).toBe(422);
    // The engine reports this as a conflict (someone changed the object): it recognises it by this text.
    expect(err.apiMessage).toMatch(/rejected our request due to an error in our request/i);
    const after = await admin.get<KObject>(RESOURCES.roles, NS, 'nemoevaluator-sample');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('refuses a stale resourceVersion with a 409 Conflict', async () => {
    const cm = await admin.get<KObject>(RESOURCES.configmaps, NS, 'df-config');
    await admin.jsonPatch(RESOURCES.configmaps, NS, 'df-config', [
      { op: 'add', path: '/metadata/labels/touched', value: '1' },
    ]);
    const err = await expectApiError(
      admin.request('PUT', `/api/v1/namespaces/${NS}/configmaps/df-config`, { body: cm }),
    );
    expect(err.status).toBe(409);
  });

  it('rolls out a Deployment env change to new pods that become Ready', async () => {
    const name = 'nemoentitystore-sample';
    const before = await admin.list<KObject>(RESOURCES.pods, NS, {
      query: { labelSelector: `app.kubernetes.io/name=${name}` },
    });
    await admin.jsonPatch(RESOURCES.deployments, NS, name, [
      {
        op: 'add',
        path: '/spec/template/spec/containers/0/env',
        value: [{ name: 'ROLLOUT_PROBE', value: String(Date.now()) }],
      },
    ]);
    await waitForRollout(admin, NS, name, 60_000);
    const after = await admin.list<KObject>(RESOURCES.pods, NS, {
      query: { labelSelector: `app.kubernetes.io/name=${name}` },
    });
    const live = after.items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(live.map((p) => p.metadata?.name)).not.toEqual(before.items.map((p) => p.metadata?.name));
    expect(
      live.every((p) =>
        p.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
      ),
    ).toBe(true);
    expect(live[0]!.spec.containers[0].env[0].name).toBe('ROLLOUT_PROBE');
  });

  it('serves the seeded gateway config from a real nginx: a mock and the catch-all 404', async () => {
    const mock = await fetch(`http://127.0.0.1:${PORT}/v1/models/meta/llama-3.1-8b-instruct`);
    expect(mock.status).toBe(200);
    expect(mock.headers.get('content-type')).toMatch(/application\/json/);
    expect(await mock.json()).toMatchObject({ namespace: 'meta', name: 'llama-3.1-8b-instruct' });
    const missing = await fetch(`http://127.0.0.1:${PORT}/v1/models/meta/llama-3.2-1b-instruct`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
  });

  it('serves logs of a really crash-looping container through the pods/log API', async () => {
    const pods = await admin.list<KObject>(RESOURCES.pods, NS, {
      query: { labelSelector: 'app=df-celery-worker-deployment' },
    });
    const p = pods.items[0]!;
    const log = await admin.podLog(NS, p.metadata!.name!, 'df-celery-worker', { tailLines: 5, previous: true });
    expect(log).toMatch(/Pidfile|Cannot connect to redis/);
  });
});
