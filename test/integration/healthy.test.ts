/** The `healthy` scenario has every documented fix applied: every check passes, nothing to fix. */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
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
    expect(run.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of run.checks) expect(`${c.id}: ${c.status} ${c.summary}`).toMatch(/: pass /);
    expect(run.verdict).toBe('healthy');
  });

  it('every fix is a no-op', async () => {
    const d = doctorFor(NS, PORT);
    for (const id of CHECKS.filter((c) => c.fix).map((c) => c.id)) {
      const out = await d.fix(id, { dryRun: true });
      expect(out.plan.noop, id).toBe(true);
    }
  });
});
