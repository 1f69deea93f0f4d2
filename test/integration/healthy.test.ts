/** The `healthy` scenario has every documented fix applied: every check passes, nothing to fix. */
import { beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../cluster/paths';
import { doctorFor, seed } from './helpers';

const NS = 'it-healthy';
const PORT = testPort(53);

describe('healthy scenario', () => {
  beforeAll(async () => {
    await seed(NS, 'healthy', PORT);
  });

  it('passes every check and the verdict is healthy', async () => {
    const run = await doctorFor(NS, PORT).run();
    for (const c of run.checks) expect(`${c.id}: ${c.status} ${c.summary}`).toMatch(/: pass /);
    expect(run.verdict).toBe('healthy');
  });

  it('every fix is a no-op', async () => {
    const d = doctorFor(NS, PORT);
    for (const id of ['evaluator-entity-store-url', 'evaluator-secrets-delete', 'models-pvc-ownership', 'gateway-model-mocks', 'pod-health']) {
      const out = await d.fix(id, { dryRun: true });
      expect(out.plan.noop, id).toBe(true);
    }
  });
});
