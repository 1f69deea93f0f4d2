/** Without a usable kubeconfig the server still lists its checks, and readiness says why it is not ready. */
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
