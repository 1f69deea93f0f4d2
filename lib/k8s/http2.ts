/**
 * HTTP/2 to the API server, as kubectl speaks it: one connection and one TLS handshake carry all of
 * a run's parallel reads, instead of a handshake per read. For short-lived callers (the CLI); the
 * long-lived server keeps HTTP/1.1's independent connections. A server or proxy that does not offer
 * h2 in the TLS handshake is remembered, and the caller uses HTTP/1.1 instead.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';

export interface Http2Target {
  /** https://host:port of the API server. */
  origin: string;
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface Http2Answer {
  status: number;
  body: string;
}

export class Http2Transport {
  private session?: Promise<http2.ClientHttp2Session | undefined>;
  private unsupported = false;

  constructor(private readonly target: () => Http2Target) {}

  /** The open session; undefined when the server does not speak h2. Network failures reject. */
  open(timeoutMs: number): Promise<http2.ClientHttp2Session | undefined> {
    if (this.unsupported) return Promise.resolve(undefined);
    if (!this.session) {
      const opening = connect(this.target(), timeoutMs).then(
        (session) => {
          if (!session) {
            this.unsupported = true;
            this.session = undefined;
            return undefined;
          }
          // A closed session (server restart, GOAWAY, network) is replaced on the next request.
          const forget = () => {
            if (this.session === opening) this.session = undefined;
          };
          session.on('close', forget);
          session.on('goaway', forget);
          session.on('error', forget); // each stream reports its own failure
          return session;
        },
        (err: unknown) => {
          this.session = undefined;
          throw err;
        },
      );
      this.session = opening;
    }
    return this.session;
  }
}

/** TLS first, offering h2 and http/1.1: the answer says which one this server speaks. */
async function connect(target: Http2Target, timeoutMs: number): Promise<http2.ClientHttp2Session | undefined> {
  const url = new URL(target.origin);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const socket = tls.connect({
    host,
    port: Number(url.port || 443),
    servername: target.servername ?? (net.isIP(host) ? undefined : host),
    ca: target.ca,
    cert: target.cert,
    key: target.key,
    rejectUnauthorized: target.rejectUnauthorized,
    ALPNProtocols: ['h2', 'http/1.1'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  if (socket.alpnProtocol !== 'h2') {
    socket.destroy();
    return undefined;
  }
  // Large windows, as Go's client (kubectl) opens them: a list of thousands of pods should not
  // wait on flow-control updates every 64 KiB.
  const session = http2.connect(target.origin, {
    createConnection: () => socket,
    settings: { initialWindowSize: WINDOW_BYTES },
  });
  session.once('connect', () => session.setLocalWindowSize(WINDOW_BYTES));
  return session;
}

const WINDOW_BYTES = 16 * 1024 * 1024;

/** A request's stream on a session, its HTTP/1.1-style headers carried as HTTP/2 ones. */
export function openStream(
  session: http2.ClientHttp2Session,
  url: URL,
  method: string,
  headers: Record<string, string>,
  opts: { endStream: boolean; signal?: AbortSignal },
): http2.ClientHttp2Stream {
  const h2Headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': url.pathname + url.search };
  for (const [k, v] of Object.entries(headers)) h2Headers[k.toLowerCase()] = v;
  return session.request(h2Headers, opts);
}

/** One request on a session: status and body, or the stream's error (network, timeout, abort). */
export function http2Request(
  session: http2.ClientHttp2Session,
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  timeoutMessage: string,
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = openStream(session, url, method, headers, { endStream: payload === undefined, signal });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (status = Number(h[':status'] ?? 0)));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
    stream.on('error', reject);
    // Closed without an end or an error (a reset): settled already in every other case.
    stream.on('close', () => reject(new Error(`the API server reset the request (HTTP/2 code ${stream.rstCode})`)));
    stream.setTimeout(timeoutMs, () => stream.destroy(new Error(timeoutMessage)));
    if (payload !== undefined) stream.end(payload);
  });
}
