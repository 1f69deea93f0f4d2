/** evaluator-secrets-delete on the real cluster: a viewer's run says which read it lacks. */
import { expect, it } from 'vitest';
import { testPort } from '../../cluster/paths';
import { doctorFor, ensureEmptyNamespace } from '../helpers';

it('a read-only run explains what it may not read', async () => {
  const run = await doctorFor(await ensureEmptyNamespace(), testPort(49), 'readonly').run(['evaluator-secrets-delete']);
  // The `view` role does not include RBAC objects: the check says which read it lacks.
  expect(run.checks[0]!.status).toBe('error');
  expect(run.checks[0]!.summary).toMatch(
    /missing permission: list (roles|rolebindings)\.rbac\.authorization\.k8s\.io in namespace .*oc adm policy/,
  );
});
