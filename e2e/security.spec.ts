import { expect, test } from '@playwright/test';
import { CHECKS } from '../checks';

// State-changing routes refuse cross-site and non-JSON requests (CSRF), and say why.
test.describe('cross-site protection', () => {
  const routes = [
    ['/api/runs', { wait: false }],
    [`/api/checks/${CHECKS.find((c) => c.fix)!.id}/fix`, { dryRun: false }],
    ['/api/reports', { runId: '00000000-0000-4000-8000-000000000000' }],
    ['/api/fix-all', { dryRun: false }],
  ] as const;

  for (const [route, body] of routes) {
    test(`POST ${route} from another site is refused`, async ({ request }) => {
      const res = await request.post(route, {
        data: body,
        headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      });
      expect(res.status()).toBe(403);
      expect((await res.json()).error).toMatch(/cross-site request refused/);
    });
    test(`POST ${route} with a foreign Origin is refused`, async ({ request }) => {
      const res = await request.post(route, { data: body, headers: { Origin: 'https://evil.example' } });
      expect(res.status()).toBe(403);
      expect((await res.json()).error).toMatch(/cross-origin request refused/);
    });
    test(`POST ${route} as a form (not JSON) is refused`, async ({ request }) => {
      const res = await request.post(route, { form: { x: '1' } });
      expect(res.status()).toBe(415);
    });
  }

  test('a cross-site DELETE of a report is refused', async ({ request }) => {
    const res = await request.delete('/api/reports/0123456789ab', { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(res.status()).toBe(403);
  });

  test('a browser form post from another origin cannot start a fix', async ({ page }) => {
    // A real cross-site form submission from a page on another origin (a data: URL).
    const responses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/checks/')) responses.push(r.status());
    });
    const target = new URL(
      `/api/checks/${CHECKS.find((c) => c.fix)!.id}/fix`,
      test.info().project.use.baseURL,
    ).toString();
    await page.setContent(
      `<form method="POST" action="${target}" enctype="text/plain"><input name='{"dryRun":false,"x":"' value='"}'></form>`,
    );
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/checks/')),
      page.evaluate(() => (document.forms[0] as HTMLFormElement).submit()),
    ]);
    expect(responses[0]).toBeGreaterThanOrEqual(400);
  });
});
