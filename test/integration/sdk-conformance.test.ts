/**
 * The official NeMo Microservices SDK (PyPI nemo-microservices 1.5.0, strict response validation)
 * through the real nginx gateway, in both generations: against the Entity Store stand-in (proxy
 * generation: namespaces and models create, retrieve, list to the end, update, delete), and against
 * what the doctor's own fixes make the mock generation answer (the base model's record, the
 * deployment-management retrieve, list and create). Every answer must pass the SDK's own types.
 */
import { describe, expect, it } from 'vitest';
import { testPort } from '../cluster/paths';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { access, doctorFor, runSdk as sdk, seed } from './helpers';

const MODEL = 'meta/llama-3.2-1b-instruct';
/** The script ran every call, the SDK accepted every answer, and the calls named were among them. */
function sdkPasses(args: string[], calls: string[]) {
  const r = sdk(args);
  expect(r.error ? `${r.failed}: ${r.error}` : '').toBe('');
  expect(r.ok).toBe(true);
  expect(r.calls).toEqual(expect.arrayContaining(calls));
}

describe('the NeMo Microservices SDK, strict, through the gateway', () => {
  it('proxy generation: the Entity Store stand-in answers every call as the SDK types it; list() ends', async () => {
    const ns = 'it-sdk-proxy';
    const port = testPort(94);
    await seed(ns, 'healthy-proxy', port);
    sdkPasses(
      [`http://127.0.0.1:${port}`, 'entity-store', MODEL],
      ['models.list (to the end)', 'namespaces.list (to the end)', 'models.create (object base_model)'],
    );
  });

  it("mock generation: what the doctor's fixes write passes the SDK's strict types", async () => {
    const ns = 'it-sdk-mock';
    const port = testPort(95);
    await seed(ns, 'broken', port);
    // What the doctor writes, not the seed's own hand-written answer for the deployment lookup.
    const admin = access('admin').app();
    const cm = await admin.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config');
    // The block runs to its own closing line (its JSON answer holds braces too).
    const conf = (cm.data['nginx.conf'] as string).replace(
      /\n[ \t]*location ~ \^\/v1\/deployment\/model-deployments[^\n]*\n(?:[^\n]*\n)*?[ \t]*\}[ \t]*\n/,
      '\n',
    );
    expect(conf).not.toContain('model-deployments');
    await admin.jsonPatch(RESOURCES.configmaps, ns, 'nemo-gateway-config', [
      { op: 'replace', path: '/data/nginx.conf', value: conf },
    ]);
    const doctor = doctorFor(ns, port);
    // The gateway's fixes in the order Fix all takes them (upstreams first: the others are judged through it).
    for (const id of ['gateway-upstreams', 'gateway-models', 'gateway-deployment-mocks']) {
      const preview = await doctor.fix(id, { dryRun: true });
      const out = await doctor.fix(id, { dryRun: false, expectedGuards: preview.plan.guards });
      expect('verified' in out ? out.verified.status : out.outcome, id).toBe('pass');
    }
    sdkPasses(
      [`http://127.0.0.1:${port}`, 'mocks', MODEL, ns],
      [
        "models.retrieve (the doctor's mock)",
        "deployment.model_deployments.retrieve (the doctor's mock)",
        'deployment.model_deployments.list (to the end)',
        "deployment.model_deployments.create (the doctor's mock)",
      ],
    );
  });
});
