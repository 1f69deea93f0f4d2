/**
 * The client's HTTP/2 transport against local TLS servers: one connection for parallel requests, the
 * fall-back to HTTP/1.1 when h2 is not offered, and the same errors as HTTP/1.1 for every failure.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeAccess } from './client';
import { KubeApiError } from './errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-h2-test-'));
const file = (f: string) => path.join(dir, f);

/** A self-signed certificate for 127.0.0.1 (its own CA). */
function selfSigned() {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('key'), '-out', file('crt'), '-days', '1'].concat(
      ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ),
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(file('key')), cert: fs.readFileSync(file('crt')) };
}

function kubeconfigFor(port: number): string {
  const p = file(`kubeconfig-${port}`);
  fs.writeFileSync(
    p,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: t',
      'clusters:',
      `- name: t\n  cluster: { server: "https://127.0.0.1:${port}", certificate-authority: "${file('crt')}" }`,
      'users:',
      '- name: u\n  user: { token: test-token }',
      'contexts:',
      '- name: t\n  context: { cluster: t, user: u }',
      '',
    ].join('\n'),
  );
  return p;
}

/** What a server saw: TLS connections, HTTP versions and the Authorization header. */
interface Seen {
  connections: number;
  versions: string[];
  auth: string[];
}

/** Answers like the API server: a namespace for any GET, a Status for .../missing, nothing for .../hang. */
function apiAnswer(url = ''): { status: number; body: unknown } | undefined {
  if (url.endsWith('/hang')) return undefined;
  if (url.endsWith('/missing'))
    return { status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'namespaces "missing" not found' } };
  return { status: 200, body: { kind: 'Namespace', metadata: { name: url.split('/').pop() } } };
}

type Req = { url?: string; httpVersion: string; headers: { authorization?: string } };
type Res = {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): unknown;
  end(body?: string): unknown;
};

/** A watch of pod p: Pending at once, Succeeded a moment later (split across writes), then held open. */
function watchAnswer(res: Res) {
  const event = (type: string, phase: string) =>
    JSON.stringify({ type, object: { metadata: { name: 'p', resourceVersion: phase }, status: { phase } } }) + '\n';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(event('ADDED', 'Pending'));
  const done = event('MODIFIED', 'Succeeded');
  setTimeout(() => res.write(done.slice(0, 20)), 20);
  setTimeout(() => res.write(done.slice(20)), 40);
}

function answer(req: Req, res: Res) {
  if (/[?&]watch=1/.test(req.url ?? '')) return watchAnswer(res);
  const a = apiAnswer(req.url);
  if (!a) return;
  res.writeHead(a.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(a.body));
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

const tlsFiles = selfSigned();
const servers: net.Server[] = [];

async function serve(
  kind: 'h2' | 'h1',
): Promise<{ port: number; seen: Seen; server: net.Server; sessions: http2.ServerHttp2Session[] }> {
  const seen: Seen = { connections: 0, versions: [], auth: [] };
  const record = (req: Req, res: Res) => {
    seen.versions.push(req.httpVersion);
    seen.auth.push(String(req.headers.authorization));
    answer(req, res);
  };
  const server =
    kind === 'h2'
      ? http2.createSecureServer({ ...tlsFiles }, (q, s) => record(q, s as unknown as Res))
      : https.createServer({ ...tlsFiles }, (q, s) => record(q, s));
  server.on('secureConnection', () => seen.connections++);
  const sessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s: http2.ServerHttp2Session) => sessions.push(s));
  servers.push(server);
  return { port: await listen(server), seen, server, sessions };
}

const clientFor = (port: number) => new KubeAccess({ kubeconfig: kubeconfigFor(port), http2: true }).app();
const getNs = (port: number, name: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  clientFor(port).request<{ metadata: { name: string } }>('GET', `/api/v1/namespaces/${name}`, opts);

describe('HTTP/2 to the API server', () => {
  let h2: Awaited<ReturnType<typeof serve>>;
  let h1: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    h2 = await serve('h2');
    h1 = await serve('h1');
  });
  afterAll(() => {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('carries ten parallel requests on one TLS connection, with the credentials', async () => {
    const client = clientFor(h2.port);
    const names = Array.from({ length: 10 }, (_, i) => `ns-${i}`);
    const answers = await Promise.all(
      names.map((n) => client.request<{ metadata: { name: string } }>('GET', `/api/v1/namespaces/${n}`)),
    );
    expect(answers.map((a) => a.metadata.name)).toEqual(names);
    expect(h2.seen.connections).toBe(1);
    expect(new Set(h2.seen.versions)).toEqual(new Set(['2.0']));
    expect(new Set(h2.seen.auth)).toEqual(new Set(['Bearer test-token']));
  });

  it.each(['h2', 'h1'] as const)('watches an object over %s until the caller has seen enough', async (kind) => {
    const server = kind === 'h2' ? h2 : h1;
    const client = clientFor(server.port);
    await client.request('GET', '/api/v1/namespaces/before-the-watch');
    const [connections, requests] = [server.seen.connections, server.seen.versions.length];
    const phases: string[] = [];
    const pods = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
    const result = await client.watchObject<{ metadata?: { resourceVersion?: string }; status?: { phase?: string } }>(
      pods,
      'ns',
      'p',
      '1',
      (pod) => (phases.push(pod.status?.phase ?? ''), pod.status?.phase === 'Succeeded'),
      { timeoutSeconds: 10 },
    );
    expect(result).toBe('done');
    expect(phases).toEqual(['Pending', 'Succeeded']);
    expect(server.seen.versions.slice(requests)).toEqual([kind === 'h2' ? '2.0' : '1.1']);
    // Over HTTP/2 the watch shares the run's connection: no TLS handshake of its own.
    if (kind === 'h2') expect(server.seen.connections).toBe(connections);
  });

  it('falls back to HTTP/1.1 when the server does not offer h2', async () => {
    const client = clientFor(h1.port);
    const answers = await Promise.all(
      ['a', 'b'].map((n) => client.request<{ metadata: { name: string } }>('GET', `/api/v1/namespaces/${n}`)),
    );
    expect(answers.map((a) => a.metadata.name)).toEqual(['a', 'b']);
    expect(new Set(h1.seen.versions)).toEqual(new Set(['1.1']));
  });

  it.each([
    ['an error Status', () => getNs(h2.port, 'missing'), 404, /namespaces "missing" not found/],
    ['no answer in time', () => getNs(h2.port, 'hang', { timeoutMs: 300 }), 0, /timed out after 300 ms/],
  ])('reports %s as HTTP/1.1 does', async (_what, call, status, message) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(status);
    expect((err as KubeApiError).message).toMatch(message);
  });

  it('says nothing is listening when the port refuses', async () => {
    const closed = await serve('h2');
    closed.server.close();
    await new Promise((r) => setTimeout(r, 50));
    const err = await getNs(closed.port, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).message).toMatch(/nothing is listening at 127\.0\.0\.1:\d+/);
  });

  it('an aborted request rejects with the abort, not as an unreachable server', async () => {
    const ac = new AbortController();
    const pending = getNs(h2.port, 'hang', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await pending.catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
  });

  it('opens a new connection after the server closed the last one', async () => {
    const fresh = await serve('h2');
    const client = clientFor(fresh.port);
    await client.request('GET', '/api/v1/namespaces/one');
    // The server goes away and comes back on the same port (an API server restart).
    await new Promise<void>((r) => {
      fresh.server.close(() => r());
      for (const s of fresh.sessions) s.destroy();
    });
    const again = http2.createSecureServer({ ...tlsFiles }, (q, s) => answer(q, s as unknown as Res));
    servers.push(again);
    await new Promise<void>((r) => again.listen(fresh.port, '127.0.0.1', r));
    const after = await client.request<{ metadata: { name: string } }>('GET', '/api/v1/namespaces/two');
    expect(after.metadata.name).toBe('two');
  });
});
