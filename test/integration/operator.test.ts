/**
 * The NIM Operator as a real cluster has it: CRDs with structural schemas (a CR the real API server
 * refuses is refused here), an operator that owns what it renders and re-renders only on a spec
 * change, and a render that never comes when the database Secret is missing: reported by a check
 * before any fix, refused by the fixes that would patch the CR, and named within seconds by a fix
 * already waiting for it.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { StalledRender, waitForEvaluatorRender } from '../../checks/shared/evaluator';
import { KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { testPort } from '../cluster/paths';
import { access, doctorFor, seed } from './helpers';

const NS = 'it-operator';
const PORT = testPort(110);
const EV = 'nemoevaluator-sample';
const admin = access('admin').app();
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as KubeApiError,
  );
const env = (d: KObject) => (d.spec.template.spec.containers[0].env ?? []) as Array<{ name: string; value?: string }>;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => seed(NS, 'broken', PORT), 240_000);

describe('the NIM CRDs are structural, as the real ones', () => {
  it('refuses a NemoEvaluator without the sections the real CRD requires', async () => {
    const e = await refusal(
      admin.create(
        RESOURCES.nemoevaluators,
        NS,
        {
          apiVersion: 'apps.nvidia.com/v1alpha1',
          kind: 'NemoEvaluator',
          metadata: { name: 'bare' },
          spec: { image: { repository: 'nvcr.io/nvidia/nemo-microservices/evaluator', tag: '25.12' } },
        },
        { dryRun: true },
      ),
    );
    expect(e?.status).toBe(422);
    for (const field of ['databaseConfig', 'argoWorkflows', 'vectorDB', 'evaluationImages', 'datastore', 'entitystore'])
      expect(e?.message).toContain(`spec.${field}`);
  });

  it.each([
    [
      'an env entry without a name',
      [{ op: 'add', path: '/spec/env/-', value: { value: 'x' } }],
      /spec\.env\[\d+\]\.name: Required/,
    ],
    [
      'a field the schema does not know (Strict)',
      [{ op: 'add', path: '/spec/env/-', value: { name: 'A', valu: 'x' } }],
      /unknown field/,
    ],
    ['a removed required section', [{ op: 'remove', path: '/spec/databaseConfig' }], /spec\.databaseConfig: Required/],
    [
      'a port out of range',
      [{ op: 'add', path: '/spec/expose/service/port', value: 70000 }],
      /spec\.expose\.service\.port/,
    ],
  ] as const)('refuses a fix-shaped patch with %s (the API server judges, dry run)', async (_what, ops, message) => {
    const e = await refusal(admin.jsonPatch(RESOURCES.nemoevaluators, NS, EV, [...ops], { dryRun: true }));
    expect(e?.status).toBe(422);
    expect(e?.message).toMatch(message);
  });

  it('accepts the fixture CRs and every fix the doctor offers on them (server-side dry run)', async () => {
    const doctor = doctorFor(NS, PORT);
    const run = await doctor.run();
    const offered = run.checks.filter((r) => r.status === 'fail' && r.fix?.available).map((r) => r.id);
    expect(offered).toEqual(expect.arrayContaining(['evaluator-entity-store-url', 'evaluator-nim-proxy-url']));
    for (const id of offered) await expect(doctor.fix(id, { dryRun: true }), id).resolves.toBeDefined();
  });
});

describe('the emulated operator renders the evaluator as v3.1.2 does', () => {
  it('creates and controls the ServiceAccount, Role, RoleBinding, Service, Secret and Deployment', async () => {
    const cr = await admin.get<KObject>(RESOURCES.nemoevaluators, NS, EV);
    for (const type of ['serviceaccounts', 'roles', 'rolebindings', 'services', 'secrets', 'deployments'] as const) {
      const o = await admin.get<KObject>(RESOURCES[type], NS, EV);
      expect(o.metadata?.ownerReferences, type).toEqual([
        expect.objectContaining({ kind: 'NemoEvaluator', name: EV, uid: cr.metadata!.uid, controller: true }),
      ]);
    }
    const svc = await admin.get<KObject>(RESOURCES.services, NS, EV);
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'api', port: 8000, targetPort: 'api' })]);
    const d = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
    expect(d.spec.selector).toEqual({ matchLabels: { app: EV } });
    const role = await admin.get<KObject>(RESOURCES.roles, NS, EV);
    expect(role.rules.map((r: { verbs: string[] }) => r.verbs)).toEqual([['use'], ['get', 'watch', 'list', 'create']]);
  });

  it('renders the migration init container without spec.env, with EVAL_CONTAINER and never EVALUATOR_IMAGE', async () => {
    const d = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
    const inits = d.spec.template.spec.initContainers as Array<{ name: string; env?: Array<{ name: string }> }>;
    expect(inits.map((c) => c.name)).toEqual(['wait-for-postgres', 'evaluator-db-migration']);
    const names = (inits[1]!.env ?? []).map((e) => e.name);
    expect(names).toContain('EVAL_CONTAINER');
    expect(names).not.toContain('EVALUATOR_IMAGE');
    expect(names).not.toContain('NIM_PROXY_URL'); // in the CR's spec.env (checks/evaluator-nim-proxy-url/fixtures/broken.yaml): main container only
    expect(env(d).map((e) => e.name)).toContain('NIM_PROXY_URL');
  });

  it('recreates a deleted Role within seconds, and re-renders the Deployment only when the spec changes', async () => {
    // An edit to the Deployment the operator would undo on its next render.
    const d = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
    await admin.jsonPatch(RESOURCES.deployments, NS, EV, [
      { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'FD_SENTINEL', value: '1' } },
    ]);
    const role = await admin.get<KObject>(RESOURCES.roles, NS, EV);
    await admin.delete(RESOURCES.roles, NS, EV);
    const back = await until('the Role to be recreated', async () => {
      const r = await admin.get<KObject>(RESOURCES.roles, NS, EV);
      return r.metadata!.uid !== role.metadata!.uid ? r : undefined;
    });
    expect(back.rules).toEqual(role.rules);
    // The operator has run since the edit (it recreated the Role) and left the Deployment alone.
    expect(env(await admin.get<KObject>(RESOURCES.deployments, NS, EV)).map((e) => e.name)).toContain('FD_SENTINEL');
    // A spec change re-renders the whole Deployment: the edit is gone.
    await admin.jsonPatch(RESOURCES.nemoevaluators, NS, EV, [
      { op: 'add', path: '/spec/env/-', value: { name: 'FD_SPEC_CHANGE', value: '1' } },
    ]);
    const rendered = await until('the re-render', async () => {
      const x = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
      return env(x).some((e) => e.name === 'FD_SPEC_CHANGE') ? x : undefined;
    });
    expect(env(rendered).map((e) => e.name)).not.toContain('FD_SENTINEL');
    expect(rendered.metadata!.uid).toBe(d.metadata!.uid);
  });
});

describe('an operator restart', () => {
  it("resets the evaluator's Role, which the running operator left as edited", async () => {
    await admin.jsonPatch(RESOURCES.roles, NS, EV, [{ op: 'add', path: '/rules/1/verbs/-', value: 'delete' }]);
    // The running operator has passed since the edit (it recreates a deleted RoleBinding) and kept it.
    const binding = await admin.get<KObject>(RESOURCES.rolebindings, NS, EV);
    await admin.delete(RESOURCES.rolebindings, NS, EV);
    await until('the RoleBinding to be recreated', async () => {
      const b = await admin.get<KObject>(RESOURCES.rolebindings, NS, EV);
      return b.metadata!.uid !== binding.metadata!.uid ? b : undefined;
    });
    const verbs = async () => (await admin.get<KObject>(RESOURCES.roles, NS, EV)).rules[1].verbs as string[];
    expect(await verbs()).toContain('delete');
    // A new operator process (a fresh module instance): its first pass renders every Role again.
    vi.resetModules();
    const restarted = await import('../cluster/node-agent/nim-operator');
    await restarted.reconcileEvaluators(NS);
    expect(await verbs()).toEqual(['get', 'watch', 'list', 'create']);
  });
});

describe('a render that never comes: the database Secret is missing', () => {
  let before: KObject;
  beforeAll(async () => {
    before = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
    await admin.delete(RESOURCES.secrets, NS, 'evaluator-pg-existing-secret');
  });

  it('the operator records a Warning Event, leaves the CR status and does not re-render', async () => {
    const status = (await admin.get<KObject>(RESOURCES.nemoevaluators, NS, EV)).status;
    await admin.jsonPatch(RESOURCES.nemoevaluators, NS, EV, [
      { op: 'add', path: '/spec/env/-', value: { name: 'FD_AFTER_SECRET_LOSS', value: '1' } },
    ]);
    const event = await until('the operator to report the failure', async () => {
      const events = await admin.list<KObject>(RESOURCES.events, NS, {
        query: { fieldSelector: `involvedObject.name=${EV},type=Warning` },
      });
      return events.items.find((e) =>
        /failed to get secret: secrets "evaluator-pg-existing-secret" not found/.test(e.message),
      );
    });
    expect(event.reason).toBe('Failed');
    expect((await admin.get<KObject>(RESOURCES.nemoevaluators, NS, EV)).status).toEqual(status);
    const d = await admin.get<KObject>(RESOURCES.deployments, NS, EV);
    expect(d.metadata!.annotations!['nvidia.com/parent-spec-hash']).toBe(
      before.metadata!.annotations!['nvidia.com/parent-spec-hash'],
    );
    expect(env(d).map((e) => e.name)).not.toContain('FD_AFTER_SECRET_LOSS');
  });

  it('check nemo-database-secrets reports it before any fix is tried', async () => {
    const run = await doctorFor(NS, PORT).run();
    const r = run.checks.find((x) => x.id === 'nemo-database-secrets')!;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(
      /The NIM Operator cannot render NemoEvaluator nemoevaluator-sample \(Secret evaluator-pg-existing-secret/,
    );
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(/failed to get secret/);
  });

  it('the fixes that patch the CR are not offered, and say why', async () => {
    await expect(doctorFor(NS, PORT).fix('evaluator-nim-proxy-url', { dryRun: true })).rejects.toThrow(
      /the NIM Operator cannot render the evaluator .* fix check nemo-database-secrets first/,
    );
  });

  it('a fix already waiting for the render names the stall and its cause instead of waiting out the timeout', async () => {
    // As the fix's step does: the CR patched by the doctor, then the wait for the operator's render.
    await admin.jsonPatch(
      RESOURCES.nemoevaluators,
      NS,
      EV,
      [{ op: 'add', path: '/spec/env/-', value: { name: 'FD_FIX_WAITS', value: '1' } }],
      { fieldManager: 'flywheel-doctor' },
    );
    const progress: string[] = [];
    const waited = await waitForEvaluatorRender(
      {
        reader: admin,
        config: { namespace: NS, rolloutTimeoutMs: 600_000 },
        signal: new AbortController().signal,
        progress: (s) => progress.push(s),
      },
      { deployment: EV, cr: EV, rendered: (d) => env(d).some((e) => e.name === 'FD_FIX_WAITS'), what: 'FD_FIX_WAITS' },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    // A StalledRender, not the timeout (600 s, far beyond this test's own limit).
    expect(waited).toBeInstanceOf(StalledRender);
    expect((waited as Error).message).toMatch(
      /cannot re-render Deployment nemoevaluator-sample: Secret evaluator-pg-existing-secret, which spec\.databaseConfig names for the database password, does not exist/,
    );
    expect(progress).toEqual(['waiting for the operator to re-render the evaluator Deployment']);
  }, 60_000);
});
