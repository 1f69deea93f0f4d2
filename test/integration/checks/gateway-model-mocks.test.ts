/** gateway-model-mocks on the real cluster: nothing to judge without base models. */
import { expect, it } from 'vitest';
import { testPort } from '../../cluster/paths';
import { doctorFor, ensureEmptyNamespace } from '../helpers';

it('an empty namespace is skipped: no base models are known', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49)).run(['gateway-model-mocks']);
  expect(run.checks[0]!.status).toBe('skipped');
});
