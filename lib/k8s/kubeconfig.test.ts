import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfig } from './kubeconfig';
import { loadKubeConfig } from './client';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-kc-'));
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const b64 = (s: string) => Buffer.from(s).toString('base64');

const A = write(
  'a.yaml',
  `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster: { server: https://api.example:6443, certificate-authority-data: ${b64('CA-PEM')}, tls-server-name: api.internal }
- name: shared
  cluster: { server: https://first }
users:
- name: alice
  user: { token: tok-a }
- name: cert-user
  user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }
- name: file-user
  user: { tokenFile: token.txt }
contexts:
- name: dev
  context: { cluster: c1, user: alice, namespace: flywheel }
- name: certs
  context: { cluster: c1, user: cert-user }
- name: files
  context: { cluster: c1, user: file-user }
`,
);
write('token.txt', 'tok-from-file\n');
const B = write(
  'b.yaml',
  `current-context: other
clusters:
- name: shared
  cluster: { server: https://second }
- name: c2
  cluster: { server: https://c2, insecure-skip-tls-verify: true }
users: [{ name: bob, user: { token: tok-b } }]
contexts: [{ name: other, context: { cluster: c2, user: bob } }]
`,
);

/** What a request would carry: the TLS material and the Authorization header. */
async function applied(kc: KubeConfig) {
  const m = kc.tlsMaterial();
  const auth = kc.authorization();
  return { ...m, headers: auth ? { Authorization: auth } : {} };
}

describe('KubeConfig', () => {
  it('reads the current context, its namespace, CA and bearer token', async () => {
    const kc = KubeConfig.fromFile(A);
    expect(kc.getCurrentCluster()!.server).toBe('https://api.example:6443');
    expect(kc.getContextObject('dev')!.namespace).toBe('flywheel');
    const o = await applied(kc);
    expect(o.ca).toBe('CA-PEM');
    expect(o.servername).toBe('api.internal');
    expect(o.rejectUnauthorized).toBe(true);
    expect((o.headers as Record<string, string>).Authorization).toBe('Bearer tok-a');
  });
  it.each([
    ['certs', { cert: 'CERT', key: 'KEY' }],
    ['files', { headers: { Authorization: 'Bearer tok-from-file' } }],
  ])('context %s: credentials from data and from files relative to the kubeconfig', async (ctx, expected) => {
    const kc = KubeConfig.fromFile(A);
    kc.setCurrentContext(ctx);
    expect(await applied(kc)).toMatchObject(expected);
  });
  it('merges $KUBECONFIG like kubectl: the first file wins on names and current-context', async () => {
    const kc = KubeConfig.fromDefault({ KUBECONFIG: [A, path.join(dir, 'missing.yaml'), B].join(path.delimiter) });
    expect(kc.getCurrentContext()).toBe('dev');
    expect(kc.clusters.find((c) => c.name === 'shared')!.server).toBe('https://first');
    kc.setCurrentContext('other');
    expect(await applied(kc)).toMatchObject({ rejectUnauthorized: false, headers: { Authorization: 'Bearer tok-b' } });
  });
  it('a forwarded token replaces the user, not the cluster', async () => {
    const kc = KubeConfig.fromFile(A).withToken('user-token');
    expect(kc.getCurrentCluster()!.server).toBe('https://api.example:6443');
    expect((await applied(kc)).headers).toEqual({ Authorization: 'Bearer user-token' });
  });
  it('in a pod: service host and port, the mounted token, CA and namespace', async () => {
    const sa = path.join(dir, 'pod/var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(sa, { recursive: true });
    fs.writeFileSync(path.join(sa, 'token'), 'sa-token');
    fs.writeFileSync(path.join(sa, 'ca.crt'), 'POD-CA');
    fs.writeFileSync(path.join(sa, 'namespace'), 'apps');
    const kc = KubeConfig.fromCluster(path.join(dir, 'pod'), {
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    });
    expect(kc.getCurrentCluster()!.server).toBe('https://10.0.0.1:443');
    expect(kc.getContextObject('in-cluster')!.namespace).toBe('apps');
    expect(await applied(kc)).toMatchObject({ ca: 'POD-CA', headers: { Authorization: 'Bearer sa-token' } });
  });
  it('says what to do when there is no kubeconfig', () => {
    expect(() => KubeConfig.fromDefault({ KUBECONFIG: path.join(dir, 'nope') })).toThrow(
      /no kubeconfig found .*pass --kubeconfig/,
    );
    expect(() => KubeConfig.fromFile(path.join(dir, 'nope'))).toThrow(/does not exist/);
  });
});

describe('a kubeconfig that cannot be used says what is wrong with the file given', () => {
  const cluster =
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\n';
  it.each([
    ['empty', '', /is empty/],
    ['binary', '\u0000\u0001\u0002garbage', /not a text file/],
    ['not YAML', 'clusters: [unclosed', /not valid YAML/],
    ['a list, not a map', '- a\n- b\n', /is not a kubeconfig/],
    ['no contexts', cluster, /has no contexts/],
    [
      'no current-context',
      `${cluster}contexts: [{name: x, context: {cluster: c, user: u}}]\n`,
      /no current-context: pass --context with one of: x/,
    ],
    [
      'a current-context that is not there',
      `${cluster}contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: gone\n`,
      /current-context "gone" is not among its contexts/,
    ],
    [
      'a context naming a missing cluster',
      `${cluster}contexts: [{name: x, context: {cluster: other, user: u}}]\ncurrent-context: x\n`,
      /names cluster "other", which is not in the file/,
    ],
  ])('%s', (name, text, message) => {
    const file = write(`bad-${name.replace(/\W+/g, '-')}.yaml`, text);
    expect(() => loadKubeConfig({ kubeconfig: file })).toThrow(message);
    expect(() => loadKubeConfig({ kubeconfig: file })).not.toThrow(/pass --kubeconfig/);
  });
});
