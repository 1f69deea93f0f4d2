/** Without a usable kubeconfig the server still lists its checks, and readiness says why it is not ready. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '@/checks';

describe('a server with no cluster access', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.FD_KUBECONFIG = '/nonexistent/kubeconfig';
    delete process.env.KUBERNETES_SERVICE_HOST;
  });
  afterAll(() => {
    process.env = saved;
  });
  it('lists its checks (200) and answers readiness with 503 and the reason; other routes 503 too', async () => {
    const checks = await (await import('./checks/route')).GET();
    expect(checks.status).toBe(200);
    expect(((await checks.json()) as { checks: unknown[] }).checks).toHaveLength(CHECKS.length);
    const ready = await (await import('./readyz/route')).GET();
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toMatch(
      /no cluster access: kubeconfig \/nonexistent\/kubeconfig does not exist/,
    );
    const req = new Request('http://127.0.0.1:3000/api/context', { headers: { host: '127.0.0.1:3000' } });
    expect((await (await import('./context/route')).GET(req)).status).toBe(503);
  });
});

/**
 * Every GET route but the public ones refuses a foreign Host (DNS rebinding) and, where a login is
 * required, a request without one, before it reads anything: with no cluster behind it, a route
 * that read first would answer 503. New routes are found by walking app/api.
 */
describe('reads of cluster data need an allowed Host, and a login where one is required', () => {
  const PUBLIC = ['checks', 'healthz', 'metrics', 'readyz'];
  const saved = { ...process.env };
  const routes = fs
    .readdirSync(path.join(__dirname), { recursive: true, encoding: 'utf8' })
    .filter(
      (f) =>
        f.endsWith('route.ts') && /export async function GET/.test(fs.readFileSync(path.join(__dirname, f), 'utf8')),
    )
    .map((f) => path.dirname(f))
    .filter((dir) => !PUBLIC.includes(dir));
  beforeAll(() => {
    process.env.FD_KUBECONFIG = '/nonexistent/kubeconfig';
    process.env.HOSTNAME = '127.0.0.1';
    delete process.env.KUBERNETES_SERVICE_HOST;
  });
  afterAll(() => {
    process.env = saved;
  });
  const get = async (dir: string, host: string) => {
    const mod = (await import(`./${dir}/route`)) as { GET: (r: Request, ctx: unknown) => Promise<Response> };
    const url = `http://${host}/api/${dir.replace('[id]', 'abc123')}?namespace=flywheel`;
    return mod.GET(new Request(url, { headers: { host } }), { params: Promise.resolve({ id: 'abc123' }) });
  };
  it('finds the read routes', () => {
    expect(routes).toEqual(expect.arrayContaining(['history', 'jobs', 'context', 'reports', 'runs/[id]']));
  });
  it.each(routes)('/api/%s: 403 for a foreign Host', async (dir) => {
    const res = await get(dir, 'rebound.example:3000');
    expect(res.status).toBe(403);
  });
  it.each(routes)('/api/%s: 401 without a login when one is required', async (dir) => {
    process.env.FD_REQUIRE_FORWARDED_IDENTITY = 'true';
    try {
      const res = await get(dir, 'flywheel-doctor.apps.example');
      expect(res.status).toBe(401);
    } finally {
      delete process.env.FD_REQUIRE_FORWARDED_IDENTITY;
    }
  });
});
