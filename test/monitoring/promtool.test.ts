/**
 * The PrometheusRule judged by Prometheus' own tool (Debian's prometheus package, installed by
 * scripts/ensure-deps.sh): `promtool check rules` on its groups and `promtool test rules` on
 * alerts.promtest.yaml (every alert, including "not running" before the first successful run).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-promtool-'));
const rule = parse(fs.readFileSync(path.join(root, 'deploy/openshift/monitoring/prometheusrule.yaml'), 'utf8'));
fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify(rule.spec));
fs.copyFileSync(path.join(__dirname, 'alerts.promtest.yaml'), path.join(dir, 'alerts.promtest.yaml'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });

describe('PrometheusRule, by promtool', () => {
  it('every group is valid Prometheus rules', () => {
    const r = promtool('check', 'rules', 'rules.yaml');
    expect(r.error, 'promtool is missing: apt-get install prometheus (scripts/ensure-deps.sh)').toBeUndefined();
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: 3 rules found/);
    expect(r.status).toBe(0);
  });

  it('every alert passes its unit tests', () => {
    const r = promtool('test', 'rules', 'alerts.promtest.yaml');
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('tests every alert the rule defines', () => {
    const alerts = rule.spec.groups.flatMap((g: { rules: Array<{ alert?: string }> }) => g.rules.map((x) => x.alert));
    const tested = fs.readFileSync(path.join(__dirname, 'alerts.promtest.yaml'), 'utf8');
    for (const a of alerts) expect(tested).toContain(`alertname: ${a}`);
  });
});
