import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { testPort, serviceOverridesEnv } from './test/cluster/paths';

// Debian's Chromium, never a downloaded browser (no network for that here).
const chromium = process.env.FD_CHROMIUM ?? '/usr/bin/chromium';
const port = Number(process.env.FD_E2E_PORT ?? 3100);
const clusterDir = process.env.FD_CLUSTER_DIR ?? path.join(__dirname, '.cluster');

export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1366, height: 900 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: chromium,
      // Playwright starts each browser with its own fresh, temporary profile directory.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    // The production build, as users get it (npm test builds it first).
    command: 'node --optimize-for-size .next/standalone/server.js',
    url: `http://127.0.0.1:${port}/api/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      HOSTNAME: '127.0.0.1',
      PORT: String(port),
      KUBECONFIG: path.join(clusterDir, 'kubeconfig'),
      FD_NAMESPACE: 'fd-e2e',
      FD_REPORT_NAMESPACE: 'fd-e2e',
      // The watch (lib/watch): re-runs on change, history in fd-e2e; no scheduled runs in tests.
      FD_WATCH: 'fd-e2e',
      FD_WATCH_SCHEDULE_SECONDS: '0',
      FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(testPort(19)),
      // Finding codes tuned for one namespace only (e2e/suppression.spec.ts); fd-e2e is untouched.
      FD_CONFIG: JSON.stringify({
        findings: {
          suppress: [
            {
              code: 'FD-SCC-005',
              namespace: 'fd-e2e-tuned',
              reason: 'SCCs are granted by the platform team',
              by: 'alice',
              expires: '2099-12-31',
            },
          ],
        },
      }),
    },
  },
});
