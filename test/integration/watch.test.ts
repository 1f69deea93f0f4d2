/**
 * The watch on the real control plane: a redeploy-style change to the NemoEvaluator CR is a
 * regression in the history within 5 s, naming the object and who changed it; opted-in auto-fix
 * restores it with an Event on the CR; two instances run one schedule between them, and the other
 * takes over within the lease duration when the leader dies; /api/metrics' text shows the failing check.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECKS } from '../../checks';
import { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { metrics } from '../../lib/metrics';
import { HistoryStore, type HistoryEntry } from '../../lib/watch/history';
import { LeaderLease } from '../../lib/watch/leader';
import { Monitor, NamespaceMonitor } from '../../lib/watch/monitor';
import { testPort } from '../cluster/paths';
import { access, doctorFor, seed } from './helpers';

const NS = 'it-watch';
const APP_NS = 'it-watch-app';
const PORT = testPort(44);
const ID = 'evaluator-entity-store-url';
const admin = access('admin').app();

/** What a NeMo redeploy does: the CR's spec.env loses the gateway URL (the operator re-renders). */
const redeploy = () =>
  admin.request('PATCH', `/apis/apps.nvidia.com/v1alpha1/namespaces/${NS}/nemoevaluators/nemoevaluator-sample`, {
    contentType: 'application/merge-patch+json',
    body: { spec: { env: [{ name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:8000' }] } },
    query: { fieldManager: 'helm' },
  });

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const monitorFor = (entries: HistoryEntry[], autoFix: string[] = []) =>
  new NamespaceMonitor({
    doctor: doctorFor(NS, PORT),
    history: new HistoryStore(admin, APP_NS, NS),
    debounceMs: 500,
    autoFix,
    onEntry: (e) => entries.push(e),
  });

beforeAll(async () => {
  await seed(NS, 'healthy', PORT);
  await admin
    .create(RESOURCES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP_NS } })
    .catch(() => undefined);
  await admin.delete(RESOURCES.configmaps, APP_NS, `flywheel-doctor-history-${NS}`).catch(() => undefined);
});

describe('watch, history and auto-fix', () => {
  const entries: HistoryEntry[] = [];
  let monitor: NamespaceMonitor;
  afterAll(() => monitor?.stop());

  it('a redeploy that resets the evaluator URL is a regression entry naming the CR and its writer within 5 s', async () => {
    monitor = monitorFor(entries);
    await monitor.start();
    expect(entries[0]!.reason).toBe('start');
    expect(entries[0]!.statuses[ID]).toBe('pass');
    // Every list this process makes from here to the regression entry: the run the change triggers
    // reads the watch's store, so it lists only what the watch does not hold.
    const listed: string[] = [];
    const request = KubeClient.prototype.request;
    const spy = vi.spyOn(KubeClient.prototype, 'request').mockImplementation(function (this: KubeClient, ...args) {
      const attempt = (args[2] as { attempt?: { verb: string; resource: string } } | undefined)?.attempt;
      if (attempt?.verb === 'list') listed.push(attempt.resource);
      return request.apply(this, args) as never;
    });
    const t0 = Date.now();
    await redeploy();
    const regression = await until('the regression entry', () =>
      // pass -> warn (the CR renders another URL) or straight to fail, whichever run sees it first.
      entries.find((e) => e.transitions.some((t) => t.check === ID && t.from === 'pass' && t.to !== 'pass')),
    );
    spy.mockRestore();
    const held = new Set(
      CHECKS.flatMap((c) => c.needs)
        .filter((k) => RESOURCES[k].namespaced && k !== 'events')
        .map((k) => RESOURCES[k].plural),
    );
    console.log(`[watch] lists made by the triggered run: ${listed.join(', ') || 'none'}`);
    expect(listed.filter((r) => held.has(r))).toEqual([]);
    const took = Date.now() - t0;
    console.log(`[watch] regression recorded ${took} ms after the change`);
    expect(took).toBeLessThan(5000);
    expect(regression.trigger).toMatchObject({
      kind: 'NemoEvaluator',
      name: 'nemoevaluator-sample',
      changedBy: 'helm',
    });
    expect(regression.trigger!.diff.map((d) => d.path).join()).toMatch(/spec\.env/);
    // Kept in the cluster: another reader sees the same history.
    const stored = await new HistoryStore(admin, APP_NS, NS).load();
    expect(stored.at(-1)!.transitions).toEqual(regression.transitions);
  });

  it('with auto-fix on for the check, the fix is applied on regression and leaves an Event on the CR', async () => {
    monitor.stop();
    const byHand = doctorFor(NS, PORT, 'admin', { FD_REPORT_NAMESPACE: APP_NS });
    await byHand.fix(ID, { dryRun: false }); // back to healthy, by hand
    // A fix by a person is kept in the history too (in that doctor's own namespace).
    const manual = (await new HistoryStore(admin, byHand.appNamespace, NS).load())
      .filter((e) => e.reason === 'fix')
      .at(-1);
    expect(manual?.fixes?.[0]).toMatchObject({ check: ID, auto: false, outcome: 'applied', verified: 'pass' });
    const fixedEntries: HistoryEntry[] = [];
    monitor = monitorFor(fixedEntries, [ID]);
    await monitor.start();
    await redeploy();
    const fixed = await until(
      'the automatic fix',
      () => fixedEntries.find((e) => e.fixes?.some((f) => f.check === ID)),
      60_000,
    );
    expect(fixed.fixes![0]).toMatchObject({ check: ID, auto: true, outcome: 'applied', verified: 'pass' });
    const cr = await admin.get<KObject>(RESOURCES.nemoevaluators, NS, 'nemoevaluator-sample');
    expect(JSON.stringify(cr.spec.env)).toContain('http://nemo-gateway');
    const events = await admin.list<KObject>(RESOURCES.events, NS);
    const audit = events.items.find(
      (e) =>
        e.reason === 'FlywheelDoctorFix' &&
        e.involvedObject?.kind === 'NemoEvaluator' &&
        /automatically/.test(e.message),
    );
    expect(audit?.message).toMatch(/applied the evaluator-entity-store-url fix automatically/);
  });

  it('/api/metrics text shows each check status and the fixes', async () => {
    monitor.stop(); // no auto-fix this time
    await monitor.idle(); // a run under way when it stopped is recorded, and starts no fix
    await redeploy();
    await until('the check to fail', async () => (await doctorFor(NS, PORT).run([ID])).checks[0]!.status === 'fail');
    const text = await metrics.registry.metrics();
    expect(text).toContain(`flywheel_doctor_check_status{namespace="${NS}",check="${ID}",status="fail"} 1`);
    expect(text).toMatch(
      /flywheel_doctor_fixes_total\{namespace="it-watch",check="evaluator-entity-store-url",outcome="applied",auto="true"\} [1-9]/,
    );
  });
});

describe('one schedule across replicas', () => {
  it('two instances: one leads; when it dies, the other leads within the lease duration', async () => {
    await admin.delete(RESOURCES.leases, APP_NS, 'flywheel-doctor-leader').catch(() => undefined);
    const started: string[] = [];
    const instance = (who: string) =>
      new Monitor(new LeaderLease(admin, APP_NS, 'flywheel-doctor-leader', 3, who), () => {
        started.push(who);
        return [];
      });
    const a = instance('replica-a');
    const b = instance('replica-b');
    a.start();
    await until('a leader', () => a.leading);
    b.start();
    await new Promise((r) => setTimeout(r, 2500));
    expect([a.leading, b.leading]).toEqual([true, false]);
    const t0 = Date.now();
    await a.stop(true); // dies: stops renewing, does not release
    await until('the other replica to lead', () => b.leading, 10_000);
    const took = Date.now() - t0;
    console.log(`[watch] leadership moved in ${took} ms (lease 3 s)`);
    expect(took).toBeLessThan(3000 + 1000 + 500); // lease duration + one renew interval + slack
    expect(started).toEqual(['replica-a', 'replica-b']);
    await b.stop();
  });
});

describe('a damaged history', () => {
  it('is read as far as it can be, and the next entry is recorded after it', async () => {
    const store = new HistoryStore(admin, APP_NS, 'it-damaged');
    await admin.delete(RESOURCES.configmaps, APP_NS, store.name).catch(() => undefined);
    await admin.create(RESOURCES.configmaps, APP_NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: store.name, namespace: APP_NS },
      data: { 'history.json': '[{"at": "2026-01-01T00:00:00Z", "runId": ' }, // cut short by a hand edit
    });
    expect(await store.read()).toEqual({ entries: [], damaged: true });
    const entry: HistoryEntry = {
      at: new Date().toISOString(),
      runId: 'after-damage',
      reason: 'change',
      statuses: { [ID]: 'pass' },
      transitions: [{ check: ID, to: 'pass' }],
    };
    await store.append(entry);
    const after = await store.read();
    expect(after.damaged).toBe(false);
    expect(after.entries.map((e) => e.runId)).toEqual(['after-damage']);
  });
});
