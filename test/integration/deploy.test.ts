/**
 * The deploy/ manifests against the real API server: they apply (server-side dry run; the
 * OpenShift-only Route is validated on its own), the Role holds exactly what the engine needs
 * (derived from the checks, compared rule by rule), and there are no wildcards.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHECKS, CONFIG_SCHEMA } from '../../checks';
import { loadConfig } from '../../lib/config';
import { requiredAppPermissions } from '../../lib/engine/permissions';
import { binDir, FILES, REPO_ROOT } from '../cluster/paths';

const bin = binDir();
const kubectl = (args: string[], input?: string) =>
  execFileSync(path.join(bin, 'kubectl'), ['--kubeconfig', FILES.adminKubeconfig, ...args], { input }).toString();
type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>;
  spec?: Record<string, unknown>;
};
const render = (overlay: string) =>
  parseAllDocuments(kubectl(['kustomize', path.join(REPO_ROOT, 'deploy', overlay)])).map((d) => d.toJS() as Obj);

/** Flattens rules to "group|resource|verb" triples. */
function triples(rules: NonNullable<Obj['rules']>): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.flatMap((res) =>
          r.verbs.map((v) => `${g}|${res}|${v}${r.resourceNames ? `|${[...r.resourceNames].sort().join(',')}` : ''}`),
        ),
      ),
    )
    .sort();
}

describe('deploy/ manifests', () => {
  it.each(['kubernetes', 'openshift'])('%s overlay applies against the API server (server-side dry run)', (overlay) => {
    const objs = render(overlay);
    const portable = objs.filter((o) => o.kind !== 'Route');
    // The target namespace must exist for a server-side dry run of namespaced objects.
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flywheel' } }),
    );
    const out = kubectl(['apply', '--dry-run=server', '-f', '-'], portable.map((o) => JSON.stringify(o)).join('\n'));
    expect(out).toMatch(/deployment\.apps\/flywheel-doctor .*\(server dry run\)/);
    if (overlay === 'openshift') {
      const route = objs.find((o) => o.kind === 'Route')!;
      expect(route.spec).toMatchObject({
        tls: { termination: 'reencrypt' },
        to: { kind: 'Service', name: 'flywheel-doctor' },
      });
      const dep = objs.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: Array<{ name: string; args?: string[] }> } } };
      };
      const args = dep.spec.template.spec.containers.find((c) => c.name === 'oauth-proxy')!.args!;
      expect(args).toContain('--provider=openshift');
      expect(args).toContain('--pass-access-token');
      expect(args.find((a) => a.startsWith('--openshift-sar='))).toContain('"namespace":"flywheel"');
    }
  });

  it('never hard-codes runAsUser or fsGroup and runs restricted', () => {
    const dep = render('openshift').find((o) => o.kind === 'Deployment')!;
    const text = JSON.stringify(dep);
    expect(text).not.toMatch(/runAsUser|fsGroup/);
    expect(text).toContain('"allowPrivilegeEscalation":false');
    expect(text).toContain('"runAsNonRoot":true');
  });

  it('grants exactly the permissions the engine derives, without wildcards', () => {
    const objs = render('kubernetes');
    const role = objs.find((o) => o.kind === 'Role' && o.metadata.name === 'flywheel-doctor')!;
    const clusterRole = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'flywheel-doctor')!;
    const needed = requiredAppPermissions(CHECKS, loadConfig(CONFIG_SCHEMA, {}, {}));
    const want = (cluster: boolean) =>
      needed
        .filter((n) => n.clusterScoped === cluster)
        .flatMap((n) =>
          n.verbs.map(
            (v) => `${n.apiGroup}|${n.resource}|${v}${n.resourceNames ? `|${n.resourceNames.join(',')}` : ''}`,
          ),
        )
        .sort();
    expect(triples(role.rules!)).toEqual(want(false));
    expect(triples(clusterRole.rules!)).toEqual(want(true));
    expect(JSON.stringify([role.rules, clusterRole.rules])).not.toContain('"*"');
  });
});
