import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selectChecks } from '@/lib/engine/runner';
import type { Doctor } from '@/lib/engine/doctor';
import { KubeApiError } from '@/lib/k8s/errors';
import {
  assertAllowedHost,
  assertSafeStateChange,
  callerIdentity,
  errorResponse,
  HttpError,
  MAX_BODY_BYTES,
  parseJson,
} from './server';

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

describe('hosts and identities', () => {
  const withHost = (host: string, headers: Record<string, string> = {}) =>
    new Request(`http://${host}/api/runs`, {
      method: 'POST',
      headers: { host, 'content-type': 'application/json', ...headers },
    });
  afterEach(() => {
    delete process.env.HOSTNAME;
    delete process.env.FD_ALLOWED_HOSTS;
    delete process.env.FD_REQUIRE_FORWARDED_IDENTITY;
  });
  it.each([
    ['127.0.0.1', '127.0.0.1:3000', undefined, true],
    ['127.0.0.1', 'localhost:3000', undefined, true],
    ['127.0.0.1', 'evil.example:3000', undefined, false], // DNS rebinding onto the loopback server
    ['127.0.0.1', 'doctor.internal', 'doctor.internal', true],
    ['0.0.0.0', 'doctor.internal', undefined, true],
    ['0.0.0.0', 'evil.example', 'doctor.internal', false],
  ])('listening on %s, Host %s (allowed: %s) -> %s', (hostname, host, allowed, ok) => {
    process.env.HOSTNAME = hostname;
    if (allowed) process.env.FD_ALLOWED_HOSTS = allowed;
    const check = () => assertAllowedHost(withHost(host));
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(/DNS rebinding/);
  });

  const doctorAnswering = (status: number) =>
    ({
      client: () => ({
        request: async () => {
          if (status !== 201) throw new KubeApiError(status, 'Unauthorized', 'Unauthorized');
          return { status: { userInfo: { username: 'alice' } } };
        },
      }),
    }) as unknown as Doctor;
  it('a forwarded token counts only once the API server accepts it', async () => {
    const garbage = withHost('127.0.0.1', { 'x-forwarded-access-token': 'garbage-token' });
    await expect(callerIdentity(garbage, doctorAnswering(401))).rejects.toMatchObject({ status: 401 });
    const valid = withHost('127.0.0.1', { 'x-forwarded-access-token': 'good-token' });
    await expect(callerIdentity(valid, doctorAnswering(201))).resolves.toEqual({ kind: 'token', token: 'good-token' });
  });
  it('without a login, the app identity changes the cluster only when listening on loopback', async () => {
    process.env.HOSTNAME = '0.0.0.0';
    await expect(
      callerIdentity(withHost('doctor.internal'), doctorAnswering(201), { changesCluster: true }),
    ).rejects.toMatchObject({ status: 401 });
    process.env.HOSTNAME = '127.0.0.1';
    await expect(
      callerIdentity(withHost('127.0.0.1'), doctorAnswering(201), { changesCluster: true }),
    ).resolves.toEqual({ kind: 'app' });
  });
});
