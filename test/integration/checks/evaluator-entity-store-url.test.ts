/**
 * evaluator-entity-store-url on the real cluster: guidance where there is no evaluator, and the
 * verdict by behaviour in the proxy generation (the URL straight at the Entity Store stand-in).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../../cluster/paths';
import { doctorFor, ensureEmptyNamespace, seed } from '../helpers';

const ID = 'evaluator-entity-store-url';

it('an empty namespace is an error that says how to name the evaluator', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run(['evaluator-entity-store-url']);
  expect(run.checks[0]!.status).toBe('error');
  expect(run.checks[0]!.summary).toMatch(/evaluator\.deployment/);
});

it('a missing namespace is explained', async () => {
  const run = await doctorFor('it-does-not-exist', testPort(49)).run(['evaluator-entity-store-url']);
  expect(run.checks[0]!.status).toBe('error');
  expect(run.checks[0]!.summary).toMatch(/namespace it-does-not-exist does not exist/);
});

describe('proxy generation: ENTITY_STORE_URL straight at the Entity Store', () => {
  const ns = 'it-esu-proxy';
  const port = testPort(59);
  const doctor = () => doctorFor(ns, port);

  beforeAll(async () => {
    await seed(ns, 'broken-proxy', port);
  });

  it('fails while the base model is not registered there, with the 404 as evidence; pointing at the gateway would not help', async () => {
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(
      /ENTITY_STORE_URL \(http:\/\/nemoentitystore-sample\.it-esu-proxy\.svc\.cluster\.local:8000\) does not answer a valid record for meta\/llama-3\.2-1b-instruct: HTTP 404/,
    );
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(/Model meta\/llama-3\.2-1b-instruct not found/);
    expect(r.fix.available).toBe(false);
    expect(r.fix.reason).toMatch(/forwards model lookups to the same Entity Store/);
  });

  it('passes as it is once the model is registered (by the gateway-models fix)', async () => {
    const out = await doctor().fix('gateway-models', { dryRun: false });
    expect(out.outcome).toBe('applied');
    const r = (await doctor().run([ID])).checks[0]!;
    expect(r.status, r.summary).toBe('pass');
    expect(r.summary).toMatch(/answers a valid record for every base model/);
  });
});
