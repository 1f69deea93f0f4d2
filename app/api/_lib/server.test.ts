import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selectChecks } from '@/lib/engine/runner';
import { assertSafeStateChange, errorResponse, HttpError, MAX_BODY_BYTES, parseJson } from './server';

const req = (headers: Record<string, string>) =>
  new Request('http://doctor.example/api/runs', { method: 'POST', headers: { host: 'doctor.example', ...headers } });

describe('assertSafeStateChange', () => {
  afterEach(() => {
    delete process.env.FD_REQUIRE_FORWARDED_IDENTITY;
  });
  it('accepts a same-origin JSON request', () => {
    expect(() =>
      assertSafeStateChange(
        req({ 'content-type': 'application/json', origin: 'http://doctor.example', 'sec-fetch-site': 'same-origin' }),
      ),
    ).not.toThrow();
  });
  it('refuses cross-site, foreign origins and non-JSON bodies', () => {
    expect(() =>
      assertSafeStateChange(req({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })),
    ).toThrow(/cross-site/);
    expect(() =>
      assertSafeStateChange(req({ 'content-type': 'application/json', origin: 'https://evil.example' })),
    ).toThrow(/cross-origin/);
    expect(() => assertSafeStateChange(req({ 'content-type': 'text/plain' }))).toThrow(/application\/json/);
  });
  it('requires a forwarded identity when configured to', () => {
    process.env.FD_REQUIRE_FORWARDED_IDENTITY = 'true';
    expect(() => assertSafeStateChange(req({ 'content-type': 'application/json' }))).toThrow(/logged-in user/);
    expect(() =>
      assertSafeStateChange(req({ 'content-type': 'application/json', 'x-forwarded-access-token': 'sha256~abc' })),
    ).not.toThrow();
  });
});

describe('parseJson: bad input is a bounded 4xx', () => {
  const Body = z.object({ checks: z.array(z.string()).optional() });
  const post = (body: string, headers: Record<string, string> = {}) =>
    new Request('http://doctor.example/api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  it.each([
    ['not JSON', post('{oops'), 400, /not valid JSON/],
    ['the wrong shape', post('{"checks": 7}'), 400, /invalid request: checks/],
    ['over the size limit (declared)', post('{}', { 'content-length': String(MAX_BODY_BYTES + 1) }), 413, /too large/],
    [
      'over the size limit (streamed)',
      post(JSON.stringify({ checks: ['x'.repeat(MAX_BODY_BYTES)] })),
      413,
      /too large/,
    ],
  ])('%s', async (_name, request, status, message) => {
    const err = (await parseJson(request, Body).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
    expect(err.message.length).toBeLessThan(1000);
  });
  it('unknown check ids are a 400 that echoes a bounded part of the input', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `nope-${i}-${'x'.repeat(1000)}`);
    const err = (() => {
      try {
        selectChecks([], ids);
      } catch (e) {
        return e as Error & { status: number };
      }
    })()!;
    const res = errorResponse(err);
    expect(res.status).toBe(400);
    expect(err.message.length).toBeLessThan(1000);
  });
});
