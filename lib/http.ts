import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  contentType?: string;
  /** The body's first `maxBytes` bytes, as text. */
  body: string;
}

/**
 * An HTTP request with a timeout and a bounded answer, on node:http (already loaded for the API
 * client; global fetch would load undici, a cost every CLI call would pay). Redirects are not
 * followed. Rejects with an Error whose `code` is the network error (ECONNREFUSED, ENOTFOUND, ETIMEDOUT).
 */
export function httpRequest(
  method: string,
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number; json?: unknown },
): Promise<HttpAnswer> {
  const max = opts.maxBytes ?? 4096;
  const payload = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    const req = lib.request(url, { method, signal: opts.signal, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8').slice(0, max),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs, () =>
      req.destroy(
        Object.assign(new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' }),
      ),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const TRANSIENT = new Set(['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN']);

/**
 * GET, asked once more (with twice the time) after a transient network error: on a busy machine or
 * a loaded gateway one slow answer is not "the gateway does not answer". GETs only: they are safe
 * to repeat. The error of the last try is the one reported.
 */
export async function httpGet(
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number },
): Promise<HttpAnswer> {
  try {
    return await httpRequest('GET', url, opts);
  } catch (e) {
    if (opts.signal?.aborted || !TRANSIENT.has((e as { code?: string }).code ?? '')) throw e;
    await new Promise((r) => setTimeout(r, 250));
    return httpRequest('GET', url, { ...opts, timeoutMs: opts.timeoutMs * 2 });
  }
}
