/**
 * gateway-models on the real cluster with the real nginx. Mock generation: every case of "configured
 * vs served" (missing, shadowed, invalid, configured but not loaded) is found, fixed, and then served.
 * Proxy generation: nginx proxies to the Entity Store stand-in behind its Service; an unregistered
 * model is registered, and a stopped Entity Store is named as the broken path.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { restartPatch } from '../../../lib/engine/plan-helpers';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { waitForRollout } from '../../../lib/k8s/wait';
import { readGatewayConfig, specificLocations, type GatewayConfigView } from '../../../checks/shared/gateway-config';
import { mockModelJson } from '../../../checks/gateway-models';
import { judgeAnswer } from '../../../checks/shared/entity-store';
import { entityStorePortFor, testPort } from '../../cluster/paths';
import { access, answers, doctorFor, ensureEmptyNamespace, seed } from '../helpers';

const ID = 'gateway-models';
const MODEL = 'meta/llama-3.2-1b-instruct';

it('an empty namespace is skipped: no base models are known', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run([ID]);
  expect(run.checks[0]!.status).toBe('skipped');
});

describe('configured vs served, on the real nginx', () => {
  const ns = 'it-gateway-specific';
  const port = testPort(50);
  const admin = access('admin').app();
  const doctor = () => doctorFor(ns, port);
  let seeded = '';

  const readConf = async () =>
    (await admin.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config')).data['nginx.conf'] as string;
  const writeConf = (conf: string) =>
    admin.jsonPatch(RESOURCES.configmaps, ns, 'nemo-gateway-config', [
      { op: 'replace', path: '/data/nginx.conf', value: conf },
    ]);
  const served = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models/${MODEL}`);
    return judgeAnswer({
      model: MODEL,
      url: '',
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: await res.text(),
    });
  };
  /** What a redeploy does: restart the gateway so nginx loads its ConfigMap; wait until it serves as expected. */
  const restartGateway = async (servesModel: boolean) => {
    const dep = await admin.get<KObject>(RESOURCES.deployments, ns, 'nemo-gateway');
    await admin.jsonPatch(RESOURCES.deployments, ns, 'nemo-gateway', restartPatch(dep));
    await waitForRollout(admin, ns, 'nemo-gateway', 90_000);
    // The node agent swaps nginx when the new pod is Ready: until then the old one answers.
    for (let i = 0; i < 100; i++) {
      try {
        if (((await served()).length === 0) === servesModel) return;
      } catch {
        /* nginx restarting */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the restarted gateway does not ${servesModel ? '' : 'stop '}serving ${MODEL}`);
  };
  const beforeCatchAll = (conf: string, block: string) => conf.replace(/(\n\s*# Catch-all)/, `\n        ${block}$1`);
  const fixAndVerify = async (expectRestartOnly = false) => {
    const preview = await doctor().fix(ID, { dryRun: true });
    if (expectRestartOnly) {
      expect(preview.plan.changes.map((c) => c.action)).toEqual(['restart']);
    }
    const out = await doctor().fix(ID, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status, out.verified.summary).toBe('pass');
    expect(await served()).toEqual([]);
    const view = readGatewayConfig(await readConf()) as GatewayConfigView;
    expect(specificLocations(view, `/v1/models/${MODEL}`)).toHaveLength(1);
  };

  beforeAll(async () => {
    await seed(ns, 'broken', port);
    seeded = await readConf();
  });

  it('missing: inserted as an exact match and served after the restart', async () => {
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.summary).toMatch(/no block answers for meta\/llama-3\.2-1b-instruct/);
    await fixAndVerify();
  });

  it('configured but not loaded: fixed by a restart alone', async () => {
    await writeConf(seeded);
    await restartGateway(false);
    // The ConfigMap gets a valid block; the running nginx never read it.
    await writeConf(
      beforeCatchAll(
        seeded,
        `location = /v1/models/${MODEL} { default_type application/json; return 200 '${mockModelJson(MODEL)}'; }`,
      ),
    );
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/routes .* correctly, but the running gateway has not loaded it/);
    await fixAndVerify(true);
  });

  it('shadowed by an earlier, broader regex: replaced in place by an exact match', async () => {
    const shadowing = `location ~ ^/v1/models { default_type application/json; return 404 '{"detail":"shadow"}'; }`;
    const mock = `location ~ ^/v1/models/meta/llama-3\\.2-1b-instruct$ { default_type application/json; return 200 '${mockModelJson(MODEL)}'; }`;
    await writeConf(seeded.replace(/(\n\s*location = \/healthz[^\n]*)/, `$1\n        ${shadowing}\n        ${mock}`));
    await restartGateway(false);
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.summary).toMatch(/is shadowed by line \d+: location ~ \^\/v1\/models: nginx never serves it/);
    await fixAndVerify();
  });

  it('an invalid answer: the block is replaced in place, one block for the model afterwards', async () => {
    const invalid = `location ~ ^/v1/models/meta/llama-3\\.2-1b-instruct$ { default_type application/json; return 200 '{"name": "llama", "namespace": ""}'; }`;
    await writeConf(beforeCatchAll(seeded, invalid));
    await restartGateway(false);
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.summary).toMatch(/answers invalid model metadata/);
    await fixAndVerify();
  });

  it('cluster text passes byte for byte: a config with &, < and > (and a quote) is fixed', async () => {
    const odd = seeded.replace('# Catch-all', `# headers: a & b < c > d, it's "quoted"\n        # Catch-all`);
    await writeConf(odd);
    await restartGateway(false);
    await fixAndVerify();
    expect(await readConf()).toContain(`# headers: a & b < c > d, it's "quoted"`);
  });
});

describe('proxy generation: the real nginx proxies to the Entity Store stand-in', () => {
  const ns = 'it-gateway-proxy';
  const port = testPort(58);
  const admin = access('admin').app();
  const doctor = () => doctorFor(ns, port);
  const entityStore = `http://127.0.0.1:${entityStorePortFor(port)}`;
  const conf = async () =>
    (await admin.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config')).data['nginx.conf'] as string;
  const scaleEntityStore = (replicas: number) =>
    admin.jsonPatch(RESOURCES.deployments, ns, 'nemoentitystore-sample', [
      { op: 'replace', path: '/spec/replicas', value: replicas },
    ]);

  beforeAll(async () => {
    await seed(ns, 'broken-proxy', port);
  });

  it('an unregistered base model fails naming it; the fix registers it (never a mock), verified; a second fix is a no-op', async () => {
    const before = await conf();
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/meta\/llama-3\.2-1b-instruct is not registered in the Entity Store/);
    expect(r.fix.available, r.fix.reason).toBe(true);

    const preview = await doctor().fix(ID, { dryRun: true });
    expect(preview.plan.changes.map((c) => c.action)).toEqual(['create']);
    expect((await fetch(`${entityStore}/v1/models/${MODEL}`)).status).toBe(404); // the dry run registered nothing

    const out = await doctor().fix(ID, { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status, out.verified.summary).toBe('pass');
    expect(out.steps.join('\n')).toMatch(/register model meta\/llama-3\.2-1b-instruct: answered 20[01]/);
    expect(await conf()).toBe(before); // no mock, no config change
    const record = await fetch(`${entityStore}/v1/models/${MODEL}`);
    expect(record.status).toBe(200); // in the Entity Store itself, not only through nginx

    const again = await doctor().fix(ID, { dryRun: false });
    expect(again.outcome).toBe('noop');
  });

  it('the Entity Store stopped: the check names the gateway -> Entity Store path, not the model; its record survives a restart', async () => {
    await scaleEntityStore(0);
    await answers(`${entityStore}/health`, 'the Entity Store stand-in', false);
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/The gateway cannot reach the Entity Store/);
    expect(r.summary).toMatch(/GET \/v1\/namespaces through the gateway: HTTP 502/);
    expect(r.summary).toMatch(/the Entity Store itself does not answer/);
    expect(r.summary).not.toMatch(/not registered/);
    expect(r.fix.available).toBe(false);
    expect(r.fix.reason).toMatch(/does not repair that path/);

    await scaleEntityStore(1);
    await answers(`${entityStore}/health`, 'the Entity Store stand-in');
    const back = (await doctor().run([ID])).checks[0]!;
    expect(back.status, back.summary).toBe('pass');
  });

  it('the former id gateway-model-mocks still selects the check', async () => {
    const run = await doctor().run(['gateway-model-mocks']);
    expect(run.checks.map((c) => c.id)).toEqual([ID]);
  });
});
