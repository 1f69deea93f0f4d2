/**
 * Faults on the real control plane: a fix killed midway leaves a state the next plan recognises and
 * finishes, also when the API server is killed (SIGKILL) midway; the API server stopped (SIGSTOP, by
 * the PID the cluster recorded) mid-probe leaves no pod of ours behind once it is back. Only processes this test started are killed (by PID), and
 * the API server is always continued.
 */

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '../../lib/k8s/object';
import { restartPatch } from '../../lib/engine/plan-helpers';
import { RESOURCES } from '../../lib/k8s/resources';
import { waitForRollout } from '../../lib/k8s/wait';
import { FILES, testPort, serviceOverridesEnv } from '../cluster/paths';
import { killCliWhen } from '../cluster/cli-process';
import { up } from '../cluster/cluster';
import { access, doctorFor, KUBECONFIGS, seed } from './helpers';

const NS = 'it-faults';
const PORT = testPort(55);
const admin = access('admin').app();
const ourPods = async () =>
  (await admin.list<KObject>(RESOURCES.pods, NS, { query: { labelSelector: 'flywheel-doctor.dev/role' } })).items.map(
    (p) => p.metadata!.name!,
  );

describe('faults', () => {
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
  });

  it('a gateway fix killed right after its ConfigMap patch: the next plan only restarts, and then it passes', async () => {
    // The CLI as a user runs it; killed (by its PID) the moment it reports the ConfigMap change.
    await killCliWhen(
      ['fix', 'gateway-models', '--yes', '--namespace', NS, '--kubeconfig', KUBECONFIGS.admin],
      { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
      /applied: update ConfigMap/,
    );
    // Half-applied: the ConfigMap carries the mock, the gateway was not restarted.
    const d = doctorFor(NS, PORT);
    const preview = await d.fix('gateway-models', { dryRun: true });
    expect(preview.plan.summary).toMatch(/^Only restart nemo-gateway/);
    expect(preview.plan.changes.map((c) => c.action)).toEqual(['restart']);
    // The killed process's lock does not block: its holder is gone.
    const out = await d.fix('gateway-models', { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
  });

  it('the API server killed (SIGKILL) right after the ConfigMap patch: the fix says what it knows, and once the API is back the next plan finishes', async () => {
    const d = doctorFor(NS, PORT);
    // Break it again: the ConfigMap without the mock, the gateway restarted onto it.
    const cm = await admin.get<KObject>(RESOURCES.configmaps, NS, 'nemo-gateway-config');
    const conf = (cm.data['nginx.conf'] as string).replace(
      /\n[^\n]*# Mock Entity Store answer[^\n]*\n[^\n]*location = [^\n]*\n[^\n]*\n[^\n]*\n[^\n]*}\n/,
      '\n',
    );
    await admin.jsonPatch(RESOURCES.configmaps, NS, 'nemo-gateway-config', [
      { op: 'replace', path: '/data/nginx.conf', value: conf },
    ]);
    const dep = await admin.get<KObject>(RESOURCES.deployments, NS, 'nemo-gateway');
    await admin.jsonPatch(RESOURCES.deployments, NS, 'nemo-gateway', restartPatch(dep));
    await waitForRollout(admin, NS, 'nemo-gateway', 90_000);
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`http://127.0.0.1:${PORT}/v1/models/meta/llama-3.2-1b-instruct`).catch(() => undefined);
      if (res?.status === 404) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await d.run(['gateway-models'])).checks[0]!.summary).toMatch(/no block answers/);
    const pidFile = path.join(FILES.pids, 'kube-apiserver.pid');
    const err = await d
      .fix('gateway-models', {
        dryRun: false,
        onProgress: (step) => {
          if (/applied: update ConfigMap/.test(step)) process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
        },
      })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/fix failed at step \d of \d: .*Run the fix again/);
    // Bring the API server back (the cluster starts what is not running), then finish the job.
    await up();
    const preview = await d.fix('gateway-models', { dryRun: true });
    expect(preview.plan.changes.map((c) => c.action)).toEqual(['restart']);
    const out = await d.fix('gateway-models', { dryRun: false });
    expect(out.outcome).toBe('applied');
    if (out.outcome === 'applied') expect(out.verified.status).toBe('pass');
  });

  describe('the API server stopped mid-probe', () => {
    // Read when used: an earlier test restarts the API server.
    const pid = () => Number(fs.readFileSync(path.join(FILES.pids, 'kube-apiserver.pid'), 'utf8'));
    const resume = () => {
      try {
        process.kill(pid(), 'SIGCONT');
      } catch {
        /* not stopped */
      }
    };
    afterAll(resume);

    it('the run reports what it found or that it could not judge (never pass on broken), and no pod of ours is left', async () => {
      const d = doctorFor(NS, PORT);
      const running = d.run(['models-pvc-ownership']);
      // Stop the API server as soon as the probe pod exists.
      for (let i = 0; i < 100 && (await ourPods()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      process.kill(pid(), 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 3000));
      resume();
      const run = await running;
      // Seeded broken: the probe either finished after the pause (fail) or could not (error).
      expect(['error', 'fail'], run.checks[0]!.summary).toContain(run.checks[0]!.status);
      // The probe's own cleanup, or the next run's sweep, removes what it created.
      await d.run(['models-pvc-ownership']);
      for (let i = 0; i < 100 && (await ourPods()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await ourPods()).toEqual([]);
    });
  });
});
