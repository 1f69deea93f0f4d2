import { expect, test } from '@playwright/test';
import { testPort } from '../test/cluster/paths';
import { seedScenario } from '../test/cluster/seed';

// playwright.config.ts suppresses FD-SCC-005 (customizer-scc) for this namespace only.
const NS = 'fd-e2e-tuned';

test.describe.serial('a suppressed finding in the dashboard, the shared report and the metrics', () => {
  test.beforeAll(async () => {
    await seedScenario({ scenario: 'broken', namespace: NS, gatewayPort: testPort(21), log: () => undefined });
  });

  test('shown apart with who, why and until when; counted as suppressed; shared and scraped as such', async ({
    page,
    request,
  }) => {
    await page.goto(`/?namespace=${NS}`);
    await page.getByRole('button', { name: 'Run all checks' }).click();
    await expect(page.locator('[data-verdict]')).not.toHaveAttribute('data-verdict', 'running', { timeout: 120_000 });
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await expect(attention.locator('article[data-check-id="customizer-scc"]')).toHaveCount(0);
    const summary = page.getByRole('region', { name: 'Summary' });
    await expect(summary).toContainText('Suppressed');
    await page.locator('summary', { hasText: 'accepted in the configuration' }).click();
    const scc = page.locator('article[data-check-id="customizer-scc"]');
    await expect(scc).toHaveAttribute('data-suppressed', 'true');
    await expect(scc).toHaveAttribute('data-code', 'FD-SCC-005');
    await expect(scc.getByRole('note', { name: 'Suppressed' })).toHaveText(
      'Suppressed by alice until 2099-12-31: SCCs are granted by the platform team',
    );
    // Other failures still need attention, each with its code.
    await expect(attention.locator('article[data-check-id="referenced-secrets"]')).toHaveAttribute(
      'data-code',
      'FD-SEC-002',
    );

    await page.getByRole('button', { name: 'Share report' }).click();
    const link = page.getByRole('link', { name: /\/reports\/[a-f0-9]{12}$/ });
    await expect(link).toBeVisible();
    await page.goto((await link.getAttribute('href'))!);
    const shared = page.locator('article[data-check-id="customizer-scc"]');
    await expect(shared).toHaveAttribute('data-suppressed', 'true');
    await expect(shared.getByRole('note', { name: 'Suppressed' })).toContainText('Suppressed by alice');

    const scraped = await (await request.get('/api/metrics')).text();
    expect(scraped).toContain(
      `flywheel_doctor_check_status{namespace="${NS}",check="customizer-scc",status="suppressed"} 1`,
    );
    expect(scraped).toContain(
      `flywheel_doctor_suppressed_findings{namespace="${NS}",check="customizer-scc",code="FD-SCC-005"} 1`,
    );
  });
});
