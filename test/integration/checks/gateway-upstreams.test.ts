/**
 * gateway-upstreams against the real nginx and the stand-ins behind it: a Data Store upstream named
 * by its short name (the resolver uses no search domains) is a failure naming that upstream, and the
 * fix makes the flywheel's own namespace creation succeed (its data upload POSTs the namespace to the
 * Entity Store as JSON and to the Data Store as a form, accepting 200, 201, 409 and 422), and the
 * official SDK's namespace calls too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../../lib/http';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { testPort } from '../../cluster/paths';
import { access, doctorFor, runSdk, seed } from '../helpers';

const ID = 'gateway-upstreams';
const NS = 'it-upstreams';
const PORT = testPort(97);
const admin = access('admin').app();
const gateway = `http://127.0.0.1:${PORT}`;

/** What the flywheel's data upload does before anything else (src/lib/nemo/data_uploader.py). */
async function flywheelCreatesItsNamespace(ns: string): Promise<number[]> {
  const es = await httpRequest('POST', `${gateway}/v1/namespaces`, { timeoutMs: 10_000, json: { id: ns } }).catch(
    () => ({ status: 0 }),
  );
  // A form, as requests.post(url, data={...}) sends it. 0: no answer at all (nginx restarting after
  // the gateway's restart refuses connections for a moment), which the callers wait out.
  const ds = await fetch(`${gateway}/v1/datastore/namespaces`, {
    method: 'POST',
    body: new URLSearchParams({ namespace: ns }),
    // A name nginx cannot resolve is a 502 only after its resolver gives up (30 s by default).
    signal: AbortSignal.timeout(60_000),
  }).catch(() => undefined);
  await ds?.text();
  return [es.status, ds?.status ?? 0];
}

describe('a broken Data Store upstream', () => {
  beforeAll(async () => {
    await seed(NS, 'healthy', PORT);
  });

  it('healthy: every service the flywheel calls answers through the gateway', async () => {
    const run = await doctorFor(NS, PORT).run([ID]);
    expect(run.checks[0]!.status).toBe('pass');
    expect(run.checks[0]!.evidence.map((e) => e.label)).toEqual(
      expect.arrayContaining([
        'GET /v1/datastore/namespaces through the gateway (Data Store)',
        'GET /v1/customization/configs through the gateway (Customizer)',
        'GET /v1/evaluation/jobs through the gateway (Evaluator)',
      ]),
    );
    expect((await flywheelCreatesItsNamespace('fw-before')).every((s) => [200, 201, 409, 422].includes(s))).toBe(true);
  });

  it(
    'fails naming the Data Store upstream; the fix makes the flywheel’s namespace creation succeed',
    { timeout: 240_000 },
    async () => {
      const cm = await admin.get<KObject>(RESOURCES.configmaps, NS, 'nemo-gateway-config');
      const conf = (cm.data['nginx.conf'] as string).replace(
        `nemodatastore-sample.${NS}.svc.cluster.local:8000`,
        'nemodatastore-sample:8000',
      );
      await admin.jsonPatch(RESOURCES.configmaps, NS, 'nemo-gateway-config', [
        { op: 'test', path: '/metadata/resourceVersion', value: cm.metadata!.resourceVersion },
        { op: 'replace', path: '/data/nginx.conf', value: conf },
      ]);
      await admin.request('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/nemo-gateway`, {
        contentType: 'application/merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { 'test/restarted-at': new Date().toISOString() } } } } },
      });
      const doctor = doctorFor(NS, PORT);
      const run = await doctor.run([ID]);
      expect(run.checks[0]!.status).toBe('fail');
      expect(run.checks[0]!.summary).toMatch(
        /v1\/\(datastore\|hf\) sends to nemodatastore-sample through the resolver/,
      );
      // Once the gateway runs the broken config, the flywheel's upload fails as the reference says.
      const deadline = Date.now() + 60_000;
      let statuses = await flywheelCreatesItsNamespace('fw-broken');
      while (statuses[1]! < 500 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        statuses = await flywheelCreatesItsNamespace('fw-broken');
      }
      expect([502, 504]).toContain(statuses[1]);

      const preview = await doctor.fix(ID, { dryRun: true });
      const out = await doctor.fix(ID, { dryRun: false, expectedGuards: preview.plan.guards });
      expect(out.outcome).toBe('applied');
      if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
      const after = await flywheelCreatesItsNamespace('fw-after');
      expect(
        after.every((st) => [200, 201].includes(st)),
        `statuses ${after.join(', ')}`,
      ).toBe(true);
      // And the SDK's (namespaces create, retrieve, update, list to the end, delete; strict).
      const sdk = runSdk([gateway, 'namespaces']);
      expect(sdk.error ? `${sdk.failed}: ${sdk.error}` : '').toBe('');
    },
  );
});
