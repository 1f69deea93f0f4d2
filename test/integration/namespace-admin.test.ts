/**
 * The project admin, the most common OpenShift user of this tool (the `admin` role in one
 * namespace, nothing cluster-wide): every fix their role allows previews and applies as them. The
 * secrets fix's preview used to dry-run a RoleBinding for a Role the same dry run only pretended to
 * create, which the API server answers with 404 ("applying would fail too").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FixFailedError } from '../../lib/engine/fix';
import { RESOURCES } from '../../lib/k8s/resources';
import { testPort, TOKENS } from '../cluster/paths';
import { access, doctorFor, seed } from './helpers';

const NS = 'it-project-admin';
const PORT = testPort(100);

beforeAll(async () => {
  await seed(NS, 'broken', PORT);
  // The editor identity is a project admin here (and only an editor elsewhere).
  await access('admin')
    .app()
    .create(RESOURCES.rolebindings, NS, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'project-admin', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TOKENS.editor.user }],
    })
    .catch(() => undefined);
});

describe('a namespace admin', () => {
  it('previews every fix the role allows without a refusal the apply would not meet', async () => {
    const doctor = doctorFor(NS, PORT, 'editor');
    const run = await doctor.run();
    const offered = run.checks.filter((c) => c.fix.available);
    expect(offered.map((c) => c.id)).toContain('evaluator-secrets-delete');
    const refused: string[] = [];
    for (const c of offered) {
      const permission = await doctor.fixPermission(c.id);
      if (!permission.allowed) continue; // the dashboard does not offer it to this user
      await doctor.fix(c.id, { dryRun: true }).catch((e: unknown) => {
        refused.push(`${c.id}: ${e instanceof FixFailedError ? `${e.status} ` : ''}${(e as Error).message}`);
      });
    }
    expect(refused).toEqual([]);
  });

  it('applies the secrets fix as previewed, and it verifies', async () => {
    const doctor = doctorFor(NS, PORT, 'editor');
    const preview = await doctor.fix('evaluator-secrets-delete', { dryRun: true });
    expect(preview.outcome).toBe('planned');
    expect(preview.steps.join('\n')).toMatch(/create RoleBinding .*: validated \(by access review/);
    const applied = await doctor.fix('evaluator-secrets-delete', {
      dryRun: false,
      expectedGuards: preview.plan.guards,
    });
    expect(applied.outcome).toBe('applied');
    expect('verified' in applied && applied.verified.status).toBe('pass');
  });
});
