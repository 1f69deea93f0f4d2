import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS } from '../checks';
import { fixOrder } from '../lib/engine/order';
import { KubeAccess } from '../lib/k8s/client';
import { FILES, testPort, TOKENS } from '../test/cluster/paths';
import { expectedStatus } from '../test/cluster/expectations';
import { seedScenario } from '../test/cluster/seed';

const SHOTS = path.join(__dirname, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
// Every check in the registry fails on the broken seed (a warn-only check warns); those with a fix
// are fixed through the dialog, in the order Fix all uses (dependencies first).
const CHECK_IDS = CHECKS.map((c) => c.id);
const WARN_ONLY = CHECK_IDS.filter((id) => expectedStatus(id, 'broken') === 'warn');
const FIXABLE_IDS = fixOrder(CHECKS)
  .filter((c) => c.fix)
  .map((c) => c.id);
/** The checks the seeded failed jobs point to (test/cluster/fixtures/flywheel-jobs.ts). */
const JOB_CHECKS = [
  'evaluator-entity-store-url',
  'evaluator-secrets-delete',
  'models-pvc-ownership',
  'gateway-upstreams',
  'nim-model-sync',
];
const SEEDED_SECRETS = [
  'nvapi-FDSEEDSECRET-do-not-leak-0001',
  'hf_FDSEEDSECRET-do-not-leak-0002',
  'ngc-FDSEEDSECRET-do-not-leak-0003',
];

const card = (page: Page, id: string) => page.locator(`article[data-check-id="${id}"]`);

async function runAll(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('cluster')).toContainText('v1.34.4');
  await page.getByRole('button', { name: 'Run all checks' }).click();
  await expect(page.locator('[data-verdict]')).not.toHaveAttribute('data-verdict', 'running', { timeout: 120_000 });
}

async function shot(page: Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => document.documentElement.classList.toggle('dark', t === 'dark'), theme);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate(() => document.documentElement.classList.remove('dark'));
}

test.describe.serial('dashboard on the seeded broken namespace', () => {
  test('run all shows every seeded failure', async ({ page }) => {
    await runAll(page);
    for (const id of CHECK_IDS)
      await expect(card(page, id)).toHaveAttribute('data-status', WARN_ONLY.includes(id) ? 'warn' : 'fail');
    await expect(page.getByLabel(`Failing: ${CHECK_IDS.length - WARN_ONLY.length}`)).toBeVisible();
    // The crashing worker's log is evidence; it prints its API key, and the dashboard shows it masked.
    const crashLog = page.locator('article[data-check-id]').filter({ hasText: 'Pidfile' });
    await expect(crashLog).toHaveCount(1);
    await expect(crashLog).toContainText('NVIDIA_API_KEY=***');
    for (const s of SEEDED_SECRETS) expect(await page.content()).not.toContain(s);
    await shot(page, '1-broken');
    await page.setViewportSize({ width: 420, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, '1-broken-narrow-light.png'), fullPage: true });
  });

  test('the Jobs section: each failed job with its check and Fix, the stuck one, the unclassified one', async ({
    page,
  }) => {
    await runAll(page);
    const jobs = page.getByRole('region', { name: /Flywheel jobs that need you/ });
    await expect(jobs).toBeVisible({ timeout: 30_000 });
    for (const id of JOB_CHECKS) await expect(jobs.getByRole('link', { name: `Fix ${id}` })).toBeVisible();
    await expect(jobs).toContainText('Stuck: pending for');
    await expect(jobs).toContainText('unclassified: Error running base-eval evaluation: CUDA error');
    await expect(jobs).toContainText('not enough logged data');
    // Above the checks when there are failed jobs.
    const jobsTop = (await jobs.boundingBox())!.y;
    const firstCard = (await page.locator('article[data-check-id]').first().boundingBox())?.y ?? Infinity;
    expect(jobsTop).toBeLessThan(firstCard);
    await shot(page, '2-jobs');
  });

  test('a read-only identity sees disabled Fix buttons that name the missing permission', async ({ browser }) => {
    // What oauth-proxy forwards for a logged-in viewer.
    const ctx = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-Access-Token': TOKENS.readonly.token } });
    const page = await ctx.newPage();
    await runAll(page);
    await expect(page.getByTestId('acting-user')).toHaveText(TOKENS.readonly.user);
    for (const id of FIXABLE_IDS) {
      const fix = card(page, id).getByRole('button', { name: /^Fix / });
      await expect(fix).toBeDisabled();
      await expect(card(page, id).getByRole('note')).toContainText('Missing permission');
    }
    await expect(page.getByRole('note').filter({ hasText: 'oc adm policy add-role-to-user' }).first()).toBeVisible();
    await page.screenshot({ path: path.join(SHOTS, '2-readonly-light.png'), fullPage: true });
    await ctx.close();
  });

  test('fix each through the dialog: each turns green after verification', async ({ page }) => {
    await runAll(page);
    let warnedAboutCancelledJobs = false;
    for (const [i, id] of FIXABLE_IDS.entries()) {
      await card(page, id).getByRole('button', { name: /^Fix / }).click();
      const dialog = page.getByRole('dialog');
      await expect(dialog.getByText('Computing the plan')).toHaveCount(0, { timeout: 60_000 });
      await expect(dialog.getByRole('alert'), `planning ${id} failed`).toHaveCount(0);
      await expect(dialog.getByRole('button', { name: 'Apply' }), `${id}: ${await dialog.innerText()}`).toBeEnabled();
      if (i === 0) await shot(page, '3-fix-dialog');
      // Restarting Celery workers cancels flywheel jobs: the dialog that does it says so first.
      if ((await dialog.getByRole('note', { name: 'Risks' }).filter({ hasText: 'cancelled' }).count()) > 0)
        warnedAboutCancelledJobs = true;
      await dialog.getByRole('button', { name: 'Apply' }).click();
      const verified = dialog.getByRole('status', { name: 'Verified result' });
      await expect(verified).toContainText('Verified', { timeout: 180_000 });
      await expect(verified.locator('[data-status]')).toHaveAttribute('data-status', 'pass');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(card(page, id)).toHaveAttribute('data-status', 'pass');
    }
    expect(warnedAboutCancelledJobs).toBe(true);
    // Shared before running again: the report says each fixed check was fixed after the run, and verified.
    await expect(page.getByRole('button', { name: 'Run again first' })).toBeVisible();
    await page.getByRole('button', { name: 'Share report' }).click();
    const link = page.getByRole('link', { name: /\/reports\/[a-f0-9]{12}$/ });
    const report = await page.context().newPage();
    await report.goto((await link.getAttribute('href'))!);
    for (const id of FIXABLE_IDS) await expect(report.getByTestId(`fixed-after-${id}`)).toContainText('verified pass');
    await shot(report, '5a-report-fixed-after-run');
    await report.close();
    await runAll(page);
    // Every fixable check passes, and stays passing after the others' fixes (no fix undid another).
    for (const id of FIXABLE_IDS) await expect(card(page, id)).toHaveAttribute('data-status', 'pass');
    await shot(page, '4-all-fixed');
  });

  test('after the fixes, the jobs they explain read "re-run the job"', async ({ page }) => {
    await page.goto('/');
    const jobs = page.getByRole('region', { name: /Flywheel jobs that need you/ });
    await expect(jobs).toBeVisible({ timeout: 30_000 });
    for (const id of JOB_CHECKS.filter((id) => FIXABLE_IDS.includes(id)))
      // The watch runs here, so its history says since when: "has passed since <time>: re-run the job".
      await expect(
        jobs
          .getByTestId(/^job-/)
          .filter({ hasText: new RegExp(`${id} (passes now|has passed since .+?): re-run the job`) }),
      ).toHaveCount(1);
    await shot(page, '8-jobs-after-fixes');
  });

  test('share a report, open the permalink in a fresh context, download Markdown without secrets', async ({
    page,
    browser,
  }) => {
    await runAll(page);
    await page.getByRole('button', { name: 'Share report' }).click();
    const link = page.getByRole('link', { name: /\/reports\/[a-f0-9]{12}$/ });
    await expect(link).toBeVisible();
    const reportUrl = (await link.getAttribute('href'))!;
    const fresh = await browser.newContext();
    const rp = await fresh.newPage();
    await rp.goto(reportUrl);
    await expect(rp.getByTestId('report-namespace')).toHaveText('fd-e2e');
    for (const id of CHECK_IDS) {
      await expect(rp.locator(`article[data-check-id="${id}"]`)).toHaveAttribute(
        'data-status',
        (await card(page, id).getAttribute('data-status'))!,
      );
      // Same content as the dashboard: each check's summary line.
      await expect(rp.locator(`article[data-check-id="${id}"]`)).toContainText(
        await card(page, id).locator('h3 + p').innerText(),
      );
    }
    for (const id of FIXABLE_IDS) await expect(rp.getByRole('region', { name: 'Fixes applied' })).toContainText(id);
    await shot(rp, '5-report');
    const [download] = await Promise.all([
      rp.waitForEvent('download'),
      rp.getByRole('link', { name: 'Markdown' }).click(),
    ]);
    const md = fs.readFileSync((await download.path())!, 'utf8');
    for (const id of CHECK_IDS) expect(md).toContain(`\`${id}\``);
    for (const s of SEEDED_SECRETS) expect(md).not.toContain(s);
    expect(md).not.toContain('FDSEEDSECRET');
    await fresh.close();
    // Compare the report shared before running again with this one: the fixed checks went fail -> pass.
    const stored = page.getByRole('checkbox', { name: /^Select report [a-f0-9]{12} to compare$/ });
    await stored.nth(0).check();
    await stored.nth(1).check();
    await page.getByRole('link', { name: 'Compare the two selected reports' }).click();
    await expect(page.getByRole('heading', { name: 'Compare reports' })).toBeVisible();
    for (const id of FIXABLE_IDS) {
      const row = page.locator(`tr[data-check-id="${id}"]`);
      await expect(row).toHaveAttribute('data-changed', 'true');
      await expect(row.locator('td').nth(2).locator('[data-status]')).toHaveAttribute('data-status', 'pass');
    }
    await shot(page, '5b-compare');
  });

  test('Fix all on a fresh broken namespace: the ordered plan, one confirmation, every fixable check verified', async ({
    page,
  }) => {
    await seedScenario({ scenario: 'broken', namespace: 'fd-e2e', gatewayPort: testPort(19), log: () => undefined });
    await runAll(page);
    await page.getByRole('button', { name: 'Fix all…' }).click();
    const dialog = page.getByRole('dialog', { name: /Fix all in/ });
    const planned = dialog.getByRole('list', { name: 'Planned steps' });
    await expect(planned).toBeVisible({ timeout: 120_000 });
    // The plan lists the fixes in the derived order, and what it cannot fix with the reason.
    const order = await planned
      .locator('li[data-testid^="fix-all-step-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('fix-all-step-', '')));
    const plannedIds = order.filter((id) => FIXABLE_IDS.includes(id));
    expect(plannedIds).toEqual(FIXABLE_IDS.filter((id) => plannedIds.includes(id)));
    await expect(planned).toContainText('no automatic fix');
    await shot(page, '6-fix-all-plan');
    await dialog.getByRole('button', { name: /^Apply \d+ fix/ }).click();
    await expect(dialog.getByRole('list', { name: 'What was done' })).toBeVisible({ timeout: 300_000 });
    await shot(page, '7-fix-all-done');
    await dialog.getByRole('button', { name: 'Close' }).click();
    for (const id of FIXABLE_IDS) await expect(card(page, id)).toHaveAttribute('data-status', 'pass');
  });

  test('the watch: a redeploy that resets the evaluator URL shows as "regressed since", with who changed what', async ({
    page,
  }) => {
    await runAll(page);
    await expect(card(page, 'evaluator-entity-store-url')).toHaveAttribute('data-status', 'pass');
    // What a NeMo redeploy does: the CR's spec.env comes back without the gateway URL.
    const admin = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
    await admin.request(
      'PATCH',
      '/apis/apps.nvidia.com/v1alpha1/namespaces/fd-e2e/nemoevaluators/nemoevaluator-sample',
      {
        contentType: 'application/merge-patch+json',
        body: { spec: { env: [{ name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:8000' }] } },
        query: { fieldManager: 'e2e-redeploy' },
      },
    );
    const regressed = page.getByTestId('regressed-evaluator-entity-store-url');
    await expect(regressed).toContainText('NemoEvaluator nemoevaluator-sample changed by e2e-redeploy', {
      timeout: 30_000,
    });
    await expect(regressed).toContainText('spec.env');
    await expect(page.getByTestId('timeline-evaluator-entity-store-url')).toBeVisible();
    await shot(page, '8-watch-regressed');
  });
});
