/**
 * A loopback proxy in front of the local API server for benchmarks: it adds a fixed delay to every
 * request (a remote cluster is never 0 ms away) and counts requests by method and path. It serves
 * TLS with the API server's own certificate and forwards as the admin client certificate, so any
 * kubeconfig pointing at it (CA = the cluster CA) works for kubectl and for Flywheel Doctor.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

export interface LatencyProxy {
  port: number;
  delayMs: number;
  requests: string[];
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startLatencyProxy(opts: {
  pkiDir: string;
  upstreamPort: number;
  dir: string;
}): Promise<LatencyProxy> {
  const pki = (f: string) => fs.readFileSync(path.join(opts.pkiDir, f));
  const state = { delayMs: 0, requests: [] as string[] };
  const agent = new https.Agent({ keepAlive: true, ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') });
  const server = https.createServer({ cert: pki('apiserver.crt'), key: pki('apiserver.key') }, (req, res) => {
    // A watch is marked: it is a stream, not a read that answers a question.
    const [pathOnly, query = ''] = (req.url ?? '').split('?');
    const container = pathOnly!.endsWith('/log') ? /(?:^|&)container=([^&]+)/.exec(query)?.[1] : undefined;
    state.requests.push(
      `${req.method} ${pathOnly}${/(^|&)watch=(true|1)/.test(query) ? ' (watch)' : ''}${container ? ` (container ${decodeURIComponent(container)})` : ''}`,
    );
    // Read the body now: piping after the delay could miss a request that has already ended.
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () =>
      setTimeout(() => {
        const headers = { ...req.headers };
        delete headers.authorization; // the proxy acts as the admin certificate
        const up = https.request(
          { host: '127.0.0.1', port: opts.upstreamPort, method: req.method, path: req.url, headers, agent },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
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
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
        agent.destroy();
      }),
  };
}
