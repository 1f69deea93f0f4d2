import { afterEach, describe, expect, it } from 'vitest';
import { assertSafeStateChange } from './server';

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
