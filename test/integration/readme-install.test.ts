/**
 * The README's OpenShift install, run as written: every command of its block is either run here
 * (`kubectl` for `oc`, against the test API server, changes as server-side dry runs) or named below
 * with the reason it cannot run here, so a new line in the README cannot go untested. The session
 * secret the README makes is judged by oauth-proxy's own rule; the monitoring install must create
 * both of its objects.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { binDir, FILES, REPO_ROOT } from '../cluster/paths';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const block = readme.split('## Install on OpenShift')[1]!.match(/```bash\n([\s\S]*?)```/)![1]!;
const commands = block
  .split('\n')
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter((l) => l && !l.startsWith('#'));

/** Lines that need what this machine has not: a registry, a router, a container engine. */
const NOT_HERE: Array<[RegExp, string]> = [
  [/^npm run image$/, 'built and run by the image steps of npm test (scripts/image.sh, test/image/run-image.ts)'],
  [/^podman build .*&& podman push/, 'no container registry here'],
  [/^oc get route /, 'no OpenShift router here to assign spec.host'],
];

const kubectlPath = path.join(binDir(), 'kubectl');
/** Runs a README line in bash with `oc` standing for kubectl on the test cluster, as a server-side dry run. */
function runAsWritten(line: string) {
  const shim = `oc() { "${kubectlPath}" --kubeconfig "${FILES.adminKubeconfig}" "$@" --dry-run=server -o json; }`;
  return spawnSync('bash', ['-c', `${shim}\n${line}`], { cwd: REPO_ROOT, encoding: 'utf8' });
}

/**
 * oauth-proxy's rule (options.go, secretBytes): the file's content is base64url-decoded (padding
 * added, Go's decoder skipping CR and LF) when it decodes; with --pass-access-token the result must
 * be 16, 24 or 32 bytes, or the proxy exits at start.
 */
function oauthProxySecretLength(content: string): number {
  const padded = content + '='.repeat((4 - (content.length % 4)) % 4);
  const stripped = padded.replace(/[\r\n]/g, '');
  if (/^[A-Za-z0-9_-]*={0,2}$/.test(stripped) && stripped.length % 4 === 0) {
    const decoded = Buffer.from(stripped, 'base64url');
    return decoded.length + ((4 - (decoded.length % 4)) % 4); // it pads the decoded bytes too
  }
  return Buffer.byteLength(content);
}

const crd = (group: string, kind: string, plural: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

beforeAll(() => {
  // The OpenShift and Prometheus Operator kinds the install creates, as schemaless CRDs, so the API
  // server accepts them in a dry run (their fields are judged elsewhere: promtool, the deploy test).
  const objs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flywheel' } },
    crd('route.openshift.io', 'Route', 'routes'),
    crd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors'),
    crd('monitoring.coreos.com', 'PrometheusRule', 'prometheusrules'),
  ];
  execFileSync(kubectlPath, ['--kubeconfig', FILES.adminKubeconfig, 'apply', '-f', '-'], {
    input: objs.map((o) => JSON.stringify(o)).join('\n'),
  });
  execFileSync(kubectlPath, [
    '--kubeconfig',
    FILES.adminKubeconfig,
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/routes.route.openshift.io',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
  ]);
});

describe('the README install commands, as written', () => {
  it('every line is run here or named with the reason it cannot be', () => {
    const unhandled = commands.filter((c) => !c.startsWith('oc ') && !NOT_HERE.some(([re]) => re.test(c)));
    expect(unhandled).toEqual([]);
    expect(commands.filter((c) => c.startsWith('oc ')).length).toBeGreaterThanOrEqual(3);
  });

  it('the session secret it makes is one oauth-proxy starts with (16, 24 or 32 bytes decoded), every time', () => {
    const line = commands.find((c) => c.includes('session_secret='))!;
    const rendered = parseAllDocuments(
      execFileSync(kubectlPath, ['kustomize', path.join(REPO_ROOT, 'deploy/openshift')]).toString(),
    ).map((d) => d.toJS());
    const pod = rendered.find((o) => o.kind === 'Deployment').spec.template.spec;
    const proxy = pod.containers.find((c: { name: string }) => c.name === 'oauth-proxy');
    // The secret the README creates is the one the proxy reads, under the key its flag names.
    const file = proxy.args.find((a: string) => a.startsWith('--cookie-secret-file=')).split('=')[1];
    const mount = proxy.volumeMounts.find((m: { mountPath: string }) => file.startsWith(m.mountPath + '/'));
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    expect(proxy.args).toContain('--pass-access-token'); // the flag that makes the size rule apply
    const lengths: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = runAsWritten(line);
      expect(r.status, r.stderr).toBe(0);
      const secret = JSON.parse(r.stdout) as { metadata: { name: string }; data: Record<string, string> };
      expect(secret.metadata.name).toBe(volume.secret.secretName);
      const key = path.basename(file);
      const content = Buffer.from(secret.data[key]!, 'base64').toString('utf8');
      lengths.push(oauthProxySecretLength(content));
    }
    expect(lengths.filter((n) => ![16, 24, 32].includes(n))).toEqual([]);
  });

  it('oc apply -k deploy/openshift applies every object (server-side dry run)', () => {
    const r = runAsWritten(commands.find((c) => /^oc apply -k deploy\/openshift$/.test(c))!);
    expect(r.status, r.stderr).toBe(0);
    const kinds = (JSON.parse(r.stdout) as { items: Array<{ kind: string }> }).items.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      expect.arrayContaining(['ClusterRoleBinding', 'Deployment', 'Role', 'Route', 'Service', 'ServiceAccount']),
    );
  });

  it('the monitoring install creates both the ServiceMonitor and the PrometheusRule', () => {
    const r = runAsWritten(commands.find((c) => c.includes('deploy/openshift/monitoring'))!);
    expect(r.status, r.stderr).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: Array<{ kind: string; metadata: { namespace: string } }> }).items;
    expect(items.map((o) => o.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    expect(items.every((o) => o.metadata.namespace === 'flywheel')).toBe(true);
  });
});

describe("oauth-proxy's secret rule (as its options.go applies it)", () => {
  it.each<[string, string, number]>([
    ['openssl rand -hex 32 (the old README): 64 hex chars decode to 48 bytes', 'ab'.repeat(32), 48],
    ['32 random bytes, base64url', Buffer.alloc(32, 7).toString('base64url'), 32],
    [
      '32 random bytes, base64url with padding',
      Buffer.alloc(32, 250).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
      32,
    ],
    [
      'standard base64 with + or / does not decode: taken as 44 raw bytes',
      Buffer.alloc(32, 251).toString('base64'),
      44,
    ],
    ['16 raw characters that are not base64url', 'not-base64!!!!!!', 16],
  ])('%s', (_, content, want) => {
    expect(oauthProxySecretLength(content)).toBe(want);
  });
});
