/**
 * A loopback proxy in front of the local API server for benchmarks: it adds a fixed delay to every
 * request (a remote cluster is never 0 ms away) and counts requests by method and path. It serves
 * TLS with the API server's own certificate and forwards as the admin client certificate, so any
 * kubeconfig pointing at it (CA = the cluster CA) works for kubectl and for Flywheel Doctor.
 * Like the kube-apiserver it stands for, it offers HTTP/2 and HTTP/1.1 in the TLS handshake: each
 * client speaks what it would speak to a real cluster (kubectl and the CLI h2, curl what it picks).
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type tls from 'node:tls';
import path from 'node:path';

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

export interface LatencyProxy {
  port: number;
  delayMs: number;
  /** Requests counted by path; setting it also restarts the count of HTTP versions. */
  requests: string[];
  /** Requests per HTTP version since requests was last set ("2.0": 29). */
  readonly protocols: Record<string, number>;
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startLatencyProxy(opts: {
  pkiDir: string;
  upstreamPort: number;
  dir: string;
}): Promise<LatencyProxy> {
  const pki = (f: string) => fs.readFileSync(path.join(opts.pkiDir, f));
  const state = { delayMs: 0, requests: [] as string[], protocols: {} as Record<string, number> };
  const agent = new https.Agent({ keepAlive: true, ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') });
  const handle = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    // A watch is marked: it is a stream, not a read that answers a question.
    const [pathOnly, query = ''] = (req.url ?? '').split('?');
    const container = pathOnly!.endsWith('/log') ? /(?:^|&)container=([^&]+)/.exec(query)?.[1] : undefined;
    state.protocols[req.httpVersion] = (state.protocols[req.httpVersion] ?? 0) + 1;
    state.requests.push(
      `${req.method} ${pathOnly}${/(^|&)watch=(true|1)/.test(query) ? ' (watch)' : ''}${container ? ` (container ${decodeURIComponent(container)})` : ''}`,
    );
    // Read the body now: piping after the delay could miss a request that has already ended.
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () =>
      setTimeout(() => {
        // HTTP/2 pseudo-headers (:path, :method, ...) are not HTTP/1.1 headers.
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.startsWith(':')));
        delete headers.authorization; // the proxy acts as the admin certificate
        const up = https.request(
          { host: '127.0.0.1', port: opts.upstreamPort, method: req.method, path: req.url, headers, agent },
          (upRes) => {
            const answer = { ...upRes.headers };
            // Connection-level headers are HTTP/1.1's own; an HTTP/2 answer must not carry them.
            if (req.httpVersionMajor === 2) for (const h of HOP_BY_HOP) delete answer[h];
            res.writeHead(upRes.statusCode ?? 502, answer);
            upRes.pipe(res);
          },
        );
        up.on('error', (e) => {
          res.writeHead(502);
          res.end(e.message);
        });
        res.on('close', () => up.destroy()); // a client ending a watch ends it upstream too
        up.end(Buffer.concat(body));
      }, state.delayMs),
    );
  };
  const server = http2.createSecureServer(
    { cert: pki('apiserver.crt'), key: pki('apiserver.key'), allowHTTP1: true },
    handle,
  );
  // Open connections (watches, keep-alive, h2 sessions) are ended by close(), not waited for.
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (s: tls.TLSSocket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = path.join(opts.dir, 'kubeconfig-latency-proxy');
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: proxy',
      'clusters:',
      `- name: proxy\n  cluster: { server: "https://127.0.0.1:${port}", certificate-authority: "${path.join(opts.pkiDir, 'ca.crt')}" }`,
      'users:',
      '- name: bench\n  user: { token: bench-token-replaced-by-the-proxy }',
      'contexts:',
      '- name: proxy\n  context: { cluster: proxy, user: bench }',
      '',
    ].join('\n'),
  );
  return {
    port,
    kubeconfig,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    get requests() {
      return state.requests;
    },
    set requests(v: string[]) {
      state.requests = v;
      state.protocols = {};
    },
    get protocols() {
      return state.protocols;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
        agent.destroy();
      }),
  };
}
