/** evaluator-entity-store-url on the real cluster: guidance where there is no evaluator. */
import { expect, it } from 'vitest';
import { testPort } from '../../cluster/paths';
import { doctorFor, ensureEmptyNamespace } from '../helpers';

it('an empty namespace is an error that says how to name the evaluator', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run(['evaluator-entity-store-url']);
  expect(run.checks[0]!.status).toBe('error');
  expect(run.checks[0]!.summary).toMatch(/evaluator\.deployment/);
});

it('a missing namespace is explained', async () => {
  const run = await doctorFor('it-does-not-exist', testPort(49)).run(['evaluator-entity-store-url']);
  expect(['error', 'skipped']).toContain(run.checks[0]!.status);
});
