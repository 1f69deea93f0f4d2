import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from './http';

/** A loopback server that drops the first `drop` connections, then answers. */
function flakyServer(drop: number) {
  let seen = 0;
  const server = http.createServer((req, res) => {
    if (seen++ < drop) return req.socket.destroy();
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  return {
    server,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/namespaces`,
    seen: () => seen,
  };
}

describe('httpGet asks once more after a transient network error', () => {
  const once = flakyServer(1);
  const always = flakyServer(1_000);
  beforeAll(async () => {
    await new Promise<void>((r) => once.server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => always.server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    once.server.close();
    always.server.close();
  });

  it('a connection dropped once: answered on the second try', async () => {
    const res = await httpGet(once.url(), { timeoutMs: 5000 });
    expect(res.status).toBe(200);
    expect(once.seen()).toBe(2);
  });

  it('dropped every time: the error after two tries, not more', async () => {
    await expect(httpGet(always.url(), { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(always.seen()).toBe(2);
  });
});
