/** The CLI on the real cluster: every check fails and exit 1 on the broken seed; after `fix --yes` for each, exit 0. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { fixOrder } from '../../lib/engine/order';
import { FILES, PORTS, REPO_ROOT, testPort, serviceOverridesEnv } from '../cluster/paths';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { expectedStatus } from '../cluster/expectations';
import { KUBECONFIGS, seed } from './helpers';
import { startLatencyProxy } from '../../bench/latency-proxy';

const NS = 'it-cli';
const PORT = testPort(51);
const cli = (args: string[], kubeconfig = KUBECONFIGS.admin) =>
  spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args, '--namespace', NS, '--kubeconfig', kubeconfig],
    {
      encoding: 'utf8',
      env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

describe('flywheel-doctor CLI', () => {
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
  });

  it('run --format json reports every check failing (warn-only checks warning) and exits 1', () => {
    const r = cli(['run', '--format', 'json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as {
      namespace: string;
      startedAt: string;
      finishedAt: string;
      summary: Record<string, number>;
      checks: Array<{
        id: string;
        title: string;
        status: string;
        summary: string;
        evidence: unknown[];
        fix: { available: boolean; description: string };
      }>;
    };
    expect(out.namespace).toBe(NS);
    expect(out.summary).toMatchObject({ pass: 0, error: 0, skipped: 0 });
    expect(out.summary.fail! + out.summary.warn!).toBe(CHECKS.length);
    expect(out.checks.filter((c) => c.status === 'warn').map((c) => c.id)).toEqual(
      CHECKS.filter((c) => expectedStatus(c.id, 'broken') === 'warn').map((c) => c.id),
    );
    expect(out.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of out.checks) expect(c.fix.available).toBe(!!CHECKS.find((x) => x.id === c.id)!.fix);
  });

  it('run --format json prints its schema version, and a JSON error object when the run cannot start (exit 2)', async () => {
    const { RunErrorSchema, RunReportSchema } = await import('../../lib/report/json-schema');
    expect(RunReportSchema.parse(JSON.parse(cli(['run', '--format', 'json']).stdout)).schemaVersion).toBe(1);
    // An API server nobody listens on (a kubeconfig of our own, pointing at a closed loopback port).
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dead = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-cli-')), 'kubeconfig');
    fs.writeFileSync(
      dead,
      fs
        .readFileSync(KUBECONFIGS.admin, 'utf8')
        .replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${testPort(93)}`),
    );
    const r = cli(['run', '--format', 'json'], dead);
    expect(r.status).toBe(2);
    const err = RunErrorSchema.parse(JSON.parse(r.stdout));
    expect(err.error.message).toMatch(/could not reach the Kubernetes API/);
  });

  it('--dashboard-url links each check that is not passing to its page', () => {
    const r = cli(['run', '--check', 'pod-health', '--dashboard-url', 'https://doctor.example/']);
    expect(r.stdout).toContain(
      `Open in the dashboard:\n  pod-health: https://doctor.example/checks/pod-health?namespace=${NS}`,
    );
  });

  it('junit and markdown formats render every check', () => {
    const junit = cli(['run', '--format', 'junit']);
    expect(junit.stdout).toContain(
      `<testsuites name="flywheel-doctor" tests="${CHECKS.length}" failures="${CHECKS.length - 1}"`,
    );
    const last = CHECKS[CHECKS.length - 1]!.id;
    const md = cli(['run', '--format', 'markdown', '--check', last]);
    expect(md.stdout).toContain(`\`${last}\``);
  });

  it('refuses to change the cluster without --yes when not in a terminal', () => {
    const r = cli(['fix', CHECKS.find((c) => c.fix)!.id]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/pass --yes/);
  });

  it('accepts a check by its former id (gateway-model-mocks is now gateway-models)', () => {
    const r = cli(['run', '--check', 'gateway-model-mocks', '--format', 'json']);
    expect((JSON.parse(r.stdout) as { checks: Array<{ id: string }> }).checks.map((c) => c.id)).toEqual([
      'gateway-models',
    ]);
    expect(cli(['run', '--skip', 'gateway-model-mocks', '--format', 'json']).stdout).not.toMatch(/"gateway-models"/);
  });

  it('lists each kind once: the reads started before the engine loaded are the run’s own', async () => {
    // Counted at a proxy in front of the API server (the benchmark's, here without added delay).
    const proxy = await startLatencyProxy({
      pkiDir: FILES.pki,
      upstreamPort: PORTS.apiserver,
      dir: fs.mkdtempSync(path.join(os.tmpdir(), 'fd-cli-proxy-')),
    });
    try {
      proxy.requests = [];
      const child = spawn(
        process.execPath,
        [
          path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'),
          'run',
          '-n',
          NS,
          '--kubeconfig',
          proxy.kubeconfig,
          '-o',
          'json',
        ],
        {
          env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      expect(await new Promise((r) => child.on('close', r))).toBe(1);
      expect((JSON.parse(stdout) as { summary: { error: number } }).summary.error).toBe(0);
      const reads = proxy.requests.filter((r) => r.startsWith('GET ') && !r.endsWith('(watch)'));
      const twice = reads.filter((r, i) => reads.indexOf(r) !== i && !r.includes('/log'));
      expect(twice).toEqual([]);
      // Every kind the checks need was listed (through the early reads or by the engine).
      expect(reads).toContain(`GET /api/v1/namespaces/${NS}/pods`);
      expect(reads).toContain(`GET /api/v1/namespaces/${NS}`);
    } finally {
      await proxy.close();
    }
  });

  it('a reader that stops early (| head) ends the output quietly, with the exit code of the run', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), 'run', '--namespace', NS, '--kubeconfig', KUBECONFIGS.admin],
      {
        env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy(); // closed before the CLI writes anything: its first write meets EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(1);
  });
  it('explains bad input with exit code 2', () => {
    expect(cli(['run', '--format', 'yaml']).status).toBe(2);
    const unknown = cli(['run', '--check', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown check id/);
  });

  it('fix --all --yes ends with every fixable check passing in one command (CR patch and init-container patch both kept)', () => {
    const r = cli(['fix', '--all', '--yes', '--format', 'json']);
    const out = JSON.parse(r.stdout) as {
      steps: Array<{ checkId: string; outcome: string; verified?: string }>;
      after: { checks: Array<{ id: string; status: string; fix: { available: boolean } }> };
    };
    const fixable = CHECKS.filter((c) => c.fix).map((c) => c.id);
    // Applied in the derived order: what patches the NemoEvaluator CR before what the re-render would drop.
    const applied = out.steps.filter((st) => st.outcome === 'applied').map((st) => st.checkId);
    expect(applied).toEqual(
      fixOrder(CHECKS)
        .filter((c) => applied.includes(c.id))
        .map((c) => c.id),
    );
    expect(applied.indexOf('evaluator-init-image')).toBeGreaterThan(applied.indexOf('evaluator-entity-store-url'));
    expect(applied.indexOf('evaluator-init-image')).toBeGreaterThan(applied.indexOf('evaluator-nim-proxy-url'));
    for (const c of out.after.checks.filter((x) => fixable.includes(x.id)))
      expect(`${c.id}: ${c.status}`).toBe(`${c.id}: pass`);
    // What is left needs a person (no automatic fix), so the run still fails: exit 1.
    const left = out.after.checks.filter((c) => c.status !== 'pass');
    for (const c of left) expect(fixable, c.id).not.toContain(c.id);
    expect(r.status).toBe(left.some((c) => c.status === 'fail') ? 1 : 0);
    const again = cli(['fix', '--all', '--yes']);
    expect(again.stdout).toMatch(/nothing to fix automatically/);
  });
});

/**
 * An exec-plugin kubeconfig (EKS, GKE, oc with an external login helper): the credential comes from
 * a program. The first call compiles the bundle and the later ones run from its code cache, which
 * has no dynamic-import callback: every check failed there ("A dynamic import callback was not
 * specified") while the server handled the same file.
 */
describe('the CLI with an exec-plugin kubeconfig', () => {
  it('runs every check on the first call and on the cached ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-exec-kc-'));
    const admin = parseYaml(fs.readFileSync(KUBECONFIGS.admin, 'utf8')) as {
      clusters: Array<{ name: string }>;
      users: Array<{ user: Record<string, string> }>;
    };
    // The helper hands out the admin's client certificate, as a plugin would hand out its credential.
    const { 'client-certificate-data': cert, 'client-key-data': key } = admin.users[0]!.user;
    expect(cert && key).toBeTruthy();
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(cert!, 'base64').toString(),
        clientKeyData: Buffer.from(key!, 'base64').toString(),
      },
    };
    fs.writeFileSync(path.join(dir, 'credential.json'), JSON.stringify(credential));
    const helper = path.join(dir, 'credential-helper.sh');
    fs.writeFileSync(helper, `#!/bin/sh\ncat "${path.join(dir, 'credential.json')}"\n`, { mode: 0o755 });
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      stringifyYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [
          {
            name: 'exec-user',
            user: {
              exec: { apiVersion: 'client.authentication.k8s.io/v1', command: helper, interactiveMode: 'Never' },
            },
          },
        ],
        contexts: [{ name: 'exec', context: { cluster: admin.clusters[0]!.name, user: 'exec-user' } }],
        'current-context': 'exec',
      }),
    );
    for (let call = 0; call < 3; call++) {
      const r = cli(['run', '--format', 'json'], kubeconfig);
      const out = JSON.parse(r.stdout) as { summary: Record<string, number>; checks: Array<{ summary: string }> };
      expect(out.summary.error, `call ${call}: ${out.checks.map((c) => c.summary).join('; ')}`).toBe(0);
      expect(out.checks).toHaveLength(CHECKS.length);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
