/**
 * Tuning finding codes through the configuration, judged by the CLI users run on the real cluster:
 * a suppressed finding stays visible with who and why, is counted apart and leaves the exit code;
 * a severity override changes the status and says so; a code no check produces is refused.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { REPO_ROOT, serviceOverridesEnv, testPort } from '../cluster/paths';
import { KUBECONFIGS, seed } from './helpers';

const NS = 'it-tuned';
const PORT = testPort(131);
const TUNING = {
  findings: {
    severity: { 'FD-POD-001': 'warn' },
    suppress: [
      { code: 'FD-SCC-005', namespace: NS, reason: 'SCCs are granted by the platform team on Mondays', by: 'alice' },
      // Another namespace's acceptance does not apply here.
      { code: 'FD-SEC-002', namespace: 'elsewhere', reason: 'n/a', by: 'bob' },
    ],
  },
};

const cli = (args: string[], tuning: unknown = TUNING) =>
  spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args, '--namespace', NS, '--kubeconfig', KUBECONFIGS.admin],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT),
        FD_CONFIG: JSON.stringify(tuning),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

interface JsonCheck {
  id: string;
  status: string;
  code?: string;
  defaultSeverity?: string;
  suppressed?: { reason: string; by: string };
}

describe('tuning finding codes in the configuration (CLI)', () => {
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
  });

  it('shows a suppressed finding with who and why, counts it apart, and applies a severity override', () => {
    const r = cli(['run', '--format', 'json']);
    expect(r.status).toBe(1); // the other failures remain
    const out = JSON.parse(r.stdout) as {
      summary: { pass: number; warn: number; fail: number; suppressed: number };
      checks: JsonCheck[];
    };
    const scc = out.checks.find((c) => c.id === 'customizer-scc')!;
    expect(scc).toMatchObject({
      status: 'fail',
      code: 'FD-SCC-005',
      suppressed: { by: 'alice', reason: 'SCCs are granted by the platform team on Mondays' },
    });
    const pods = out.checks.find((c) => c.id === 'pod-health')!;
    expect(pods).toMatchObject({ status: 'warn', code: 'FD-POD-001', defaultSeverity: 'fail' });
    const secrets = out.checks.find((c) => c.id === 'referenced-secrets')!;
    expect(secrets).toMatchObject({ status: 'fail', code: 'FD-SEC-002' });
    expect(secrets.suppressed).toBeUndefined();
    expect(out.summary.suppressed).toBe(1);
    expect(out.summary.pass + out.summary.warn + out.summary.fail + out.summary.suppressed).toBe(CHECKS.length);
    // Every result but a pass carries its code.
    for (const c of out.checks) if (c.status !== 'pass') expect(c.code, c.id).toMatch(/^FD-[A-Z]+-\d{3}$/);
  });

  it('text, JUnit and Markdown say it is suppressed; a run of only accepted findings exits 0', () => {
    const text = cli(['run', '--check', 'customizer-scc']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('customizer-scc FD-SCC-005 — ');
    expect(text.stdout).toContain('suppressed by alice: SCCs are granted by the platform team on Mondays');
    expect(text.stdout).toMatch(/0 fail, 0 error, 0 skipped, 1 suppressed/);
    const junit = cli(['run', '--check', 'customizer-scc', '--format', 'junit']);
    expect(junit.stdout).toContain('failures="0"');
    expect(junit.stdout).toContain('<skipped message="FD-SCC-005: suppressed by alice');
    const md = cli(['run', '--check', 'customizer-scc', '--format', 'markdown']);
    expect(md.stdout).toContain('| FAIL (suppressed) | `customizer-scc` FD-SCC-005 |');
    // Untuned, the same finding fails the run.
    expect(cli(['run', '--check', 'customizer-scc'], {}).status).toBe(1);
  });

  it('an expired suppression counts again, and its evidence says it ended', () => {
    const expired = {
      findings: { suppress: [{ ...TUNING.findings.suppress[0], expires: '2020-01-01' }] },
    };
    const r = cli(['run', '--check', 'customizer-scc', '--format', 'json'], expired);
    expect(r.status).toBe(1);
    const scc = (JSON.parse(r.stdout) as { checks: Array<JsonCheck & { evidence: Array<{ label: string }> }> })
      .checks[0]!;
    expect(scc.suppressed).toBeUndefined();
    expect(scc.evidence.map((e) => e.label)).toContain('Suppression ended');
  });

  it('refuses a configuration naming a code no check produces (exit 2, the code named)', () => {
    const r = cli(['run'], { findings: { severity: { 'FD-SCC-999': 'warn' } } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/FD-SCC-999 is not a code any check produces/);
  });
});
