import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

// The dashboard as an on-call engineer uses it every day, on the seeded broken namespace (read only:
// nothing here applies a fix). Runs before dashboard.spec.ts, which fixes things.
const SHOTS = path.join(__dirname, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

async function runAll(page: Page, url = '/') {
  await page.goto(url);
  await page.getByRole('button', { name: 'Run all checks' }).click();
  await expect(page.locator('[data-verdict]')).not.toHaveAttribute('data-verdict', 'running', { timeout: 120_000 });
}

/** axe-core on the page as it is: no serious or critical violation (the first three nodes of each are named). */
async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const named = bad.map(
    (v) =>
      `${v.id}: ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(' | ')}`,
  );
  expect(named, what).toEqual([]);
}

const theme = (page: Page, t: 'light' | 'dark') =>
  page.evaluate((d) => document.documentElement.classList.toggle('dark', d === 'dark'), t);

test.describe.serial('daily use', () => {
  test('failing first; the summary counts and the filters are links that reproduce the view', async ({
    page,
    browser,
  }) => {
    await runAll(page);
    // The namespace switcher suggests the namespaces that look like a Data Flywheel install.
    const suggested = await page
      .locator('#ns-options option')
      .evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    expect(suggested).toContain('fd-e2e');
    expect(suggested).not.toContain('kube-system');
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await expect(attention.locator('article').first()).toHaveAttribute('data-status', 'fail');
    // Passing and skipped checks are one line per area, collapsed.
    await page.getByRole('link', { name: /^Failing: \d+$/ }).click();
    await expect(page).toHaveURL(/status=fail/);
    for (const a of await page.locator('article[data-check-id]').all())
      if (await a.isVisible()) await expect(a).toHaveAttribute('data-status', 'fail');
    await page.getByRole('searchbox').fill('ENTITY_STORE');
    await expect(page).toHaveURL(/q=ENTITY_STORE/);
    await expect(page.getByRole('status').filter({ hasText: /of \d+ checks shown/ })).toContainText(/^[12] of/);
    // The link reproduces the view in a fresh browser.
    const url = page.url();
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    await runAll(other, url.replace(/^https?:\/\/[^/]+/, ''));
    await expect(other.getByRole('searchbox')).toHaveValue('ENTITY_STORE');
    await expect(other.getByRole('checkbox', { name: 'fail' })).toBeChecked();
    for (const t of ['light', 'dark'] as const) {
      await theme(other, t);
      await other.screenshot({ path: path.join(SHOTS, `9-filtered-${t}.png`), fullPage: true });
    }
    await fresh.close();
  });

  test('a page per check: linked from its card, with evidence, fix and history', async ({ page }) => {
    await runAll(page, '/?namespace=fd-e2e');
    await page.locator('article[data-check-id="gateway-models"] h3 a').click();
    await expect(page).toHaveURL(/\/checks\/gateway-models\?namespace=fd-e2e/);
    await page.getByRole('button', { name: 'Run this check' }).click();
    const card = page.locator('article[data-check-id="gateway-models"]');
    await expect(card).toHaveAttribute('data-status', 'fail');
    await expect(card.getByRole('button', { name: /^Fix / })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
    for (const t of ['light', 'dark'] as const) {
      await theme(page, t);
      await page.screenshot({ path: path.join(SHOTS, `10-check-page-${t}.png`), fullPage: true });
    }
  });

  test('keyboard only: run, open a fix dialog, close it with Escape, focus returns to its button; share', async ({
    page,
  }) => {
    await page.goto('/');
    const runButton = page.getByRole('button', { name: 'Run all checks' });
    await expect(runButton).toBeEnabled(); // once the namespace is known
    await runButton.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('[data-verdict]')).not.toHaveAttribute('data-verdict', 'running', { timeout: 120_000 });
    const fix = page.getByRole('button', { name: /^Fix / }).first();
    await fix.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(fix).toBeFocused();
    // Share by keyboard: the permalink appears and is the next thing to Tab to.
    await page.getByRole('button', { name: 'Share report' }).focus();
    await page.keyboard.press('Enter');
    const permalink = page.getByRole('link', { name: /\/reports\/[a-f0-9]{12}$/ });
    await expect(permalink).toBeVisible();
    await permalink.focus();
    await expect(permalink).toBeFocused();
  });

  test('axe: no serious or critical violations, light and dark, with and without the fix dialog', async ({ page }) => {
    await runAll(page);
    for (const t of ['light', 'dark'] as const) {
      await theme(page, t);
      await expectAccessible(page, t);
    }
    await page.getByRole('button', { name: /^Fix / }).first().click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await expect(page.getByRole('dialog').getByText('Computing the plan')).toHaveCount(0, { timeout: 60_000 });
    for (const t of ['light', 'dark'] as const) {
      await theme(page, t);
      await expectAccessible(page, `dialog ${t}`);
    }
    await page.keyboard.press('Escape');
  });
});
