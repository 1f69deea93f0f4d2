/**
 * The deploy/ manifests against the real API server: they apply (server-side dry run; the
 * OpenShift-only Route is validated on its own), the Role holds exactly what the engine needs
 * (derived from the checks, compared rule by rule), and there are no wildcards. Every probe is
 * built by the kubelet's own prober code (test/cluster/probecheck), every file passes yamllint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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
      // The kubelet expands it to the pod's namespace (see the test on other namespaces below).
      expect(args.find((a) => a.startsWith('--openshift-sar='))).toContain('"namespace":"$(POD_NAMESPACE)"');
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

  interface Built {
    probes: Array<{ container: string; kind: string; type: string; url?: string; command?: string[]; error?: string }>;
    containers: Array<{ container: string; args: string[] | null }>;
  }
  /** The kubelet's view of the rendered Deployments: probe requests as it builds them, args as it expands them. */
  const asKubeletSees = (yamlText: string): Built =>
    JSON.parse(execFileSync(path.join(bin, 'probecheck'), { input: yamlText }).toString()) as Built;
  const kustomize = (dir: string) => execFileSync(path.join(bin, 'kubectl'), ['kustomize', dir]).toString();

  it.each(['kubernetes', 'openshift'])("%s: the kubelet's prober code builds every probe", (overlay) => {
    const built = asKubeletSees(kustomize(path.join(REPO_ROOT, 'deploy', overlay)));
    expect(built.probes.filter((p) => p.error)).toEqual([]);
    // Both containers of the app, each with a readiness and a liveness probe.
    for (const c of overlay === 'openshift' ? ['app', 'oauth-proxy'] : ['app'])
      expect(built.probes.filter((p) => p.container === c).map((p) => p.kind)).toEqual(['readiness', 'liveness']);
  });

  it('the proxy lets in members of the namespace it is installed in, whatever the namespace', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-deploy-'));
    try {
      fs.cpSync(path.join(REPO_ROOT, 'deploy'), path.join(tmp, 'deploy'), { recursive: true });
      const k = path.join(tmp, 'deploy/openshift/kustomization.yaml');
      fs.writeFileSync(k, fs.readFileSync(k, 'utf8').replace(/^namespace: flywheel$/m, 'namespace: team-a'));
      // Another overlay on top, naming yet another namespace, as a GitOps repository would.
      fs.mkdirSync(path.join(tmp, 'deploy/outer'));
      fs.writeFileSync(
        path.join(tmp, 'deploy/outer/kustomization.yaml'),
        'namespace: team-b\nresources: [../openshift]\n',
      );
      for (const [dir, ns] of [
        ['openshift', 'team-a'],
        ['outer', 'team-b'],
      ] as const) {
        const text = kustomize(path.join(tmp, 'deploy', dir));
        const proxy = asKubeletSees(text).containers.find((c) => c.container === 'oauth-proxy')!;
        const sar = proxy.args!.find((a) => a.startsWith('--openshift-sar='))!;
        expect(JSON.parse(sar.slice('--openshift-sar='.length))).toEqual({
          namespace: ns,
          resource: 'pods',
          verb: 'get',
        });
        if (dir === 'openshift') {
          const bindings = parseAllDocuments(text)
            .map((d) => d.toJS() as Obj & { subjects?: Array<{ namespace: string }> })
            .filter((o) => o.kind === 'ClusterRoleBinding');
          expect(bindings.flatMap((b) => b.subjects!.map((x) => x.namespace))).toEqual([ns, ns]);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it.each(['kubernetes', 'openshift', 'openshift/monitoring'])('%s: every object carries the app labels', (dir) => {
    const objs = parseAllDocuments(kustomize(path.join(REPO_ROOT, 'deploy', dir))).map(
      (d) => d.toJS() as Obj & { metadata: { labels?: Record<string, string> } },
    );
    const unlabelled = objs
      .filter(
        (o) =>
          o.metadata.labels?.['app.kubernetes.io/name'] !== 'flywheel-doctor' ||
          o.metadata.labels?.['app.kubernetes.io/part-of'] !== 'flywheel-doctor',
      )
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(unlabelled).toEqual([]);
  });

  it('kubernetes: a NetworkPolicy admits only the app port, for the app pods', () => {
    type Policy = {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: Array<{ ports: Array<{ port: string }> }>;
    };
    type Dep = {
      template: {
        metadata: { labels: Record<string, string> };
        spec: { containers: Array<{ ports: Array<{ name: string }> }> };
      };
    };
    const objs = render('kubernetes');
    const policy = objs.find((o) => o.kind === 'NetworkPolicy')!.spec as unknown as Policy;
    const dep = objs.find((o) => o.kind === 'Deployment')!.spec as unknown as Dep;
    for (const [k, v] of Object.entries(policy.podSelector.matchLabels))
      expect(dep.template.metadata.labels[k]).toBe(v);
    expect(policy.policyTypes).toEqual(['Ingress']);
    const ports = policy.ingress.flatMap((r) => r.ports.map((p) => p.port));
    const appPorts = dep.template.spec.containers[0]!.ports.map((p) => p.name);
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.every((p) => appPorts.includes(p))).toBe(true);
  });

  it('yamllint finds no syntax error or duplicate key in deploy/', () => {
    const config = JSON.stringify({
      extends: 'default',
      rules: {
        'line-length': 'disable',
        'document-start': 'disable',
        comments: 'disable',
        'comments-indentation': 'disable',
        braces: 'disable',
        brackets: 'disable',
        truthy: 'disable',
        indentation: 'disable',
        'key-duplicates': 'enable',
      },
    });
    const r = spawnSync('yamllint', ['-f', 'parsable', '-d', config, path.join(REPO_ROOT, 'deploy')], {
      encoding: 'utf8',
    });
    expect(r.error, 'yamllint is missing: apt-get install yamllint (scripts/ensure-deps.sh)').toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
