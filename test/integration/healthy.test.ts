/**
 * The healthy scenarios (both gateway generations) have every documented fix applied: every check
 * passes, nothing to fix. broken-proxy reproduces every failure on today's gateway.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { testPort } from '../cluster/paths';
import { expectedStatus } from '../cluster/expectations';
import { doctorFor, ensureEmptyNamespace, seed } from './helpers';

describe.each([
  { scenario: 'healthy' as const, ns: 'it-healthy', port: testPort(53) },
  { scenario: 'healthy-proxy' as const, ns: 'it-healthy-proxy', port: testPort(56) },
])('$scenario scenario', ({ scenario, ns, port }) => {
  beforeAll(async () => {
    await seed(ns, scenario, port);
  });

  it('passes every check and the verdict is healthy', async () => {
    const run = await doctorFor(ns, port).run();
    expect(run.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of run.checks) expect(`${c.id}: ${c.status} ${c.summary}`).toMatch(/: pass /);
    expect(run.verdict).toBe('healthy');
  });

  it('every fix is a no-op', async () => {
    const d = doctorFor(ns, port);
    for (const c of CHECKS.filter((x) => x.fix)) {
      if (c.runsPods) {
        // A preview starts no pod, so it cannot know yet; applying probes first and changes nothing.
        const out = await d.fix(c.id, { dryRun: false });
        expect(out.outcome, c.id).toBe('noop');
        continue;
      }
      const out = await d.fix(c.id, { dryRun: true });
      expect(out.plan.noop, c.id).toBe(true);
    }
  });
});

describe('broken-proxy scenario', () => {
  const ns = 'it-broken-proxy';
  const port = testPort(57);
  beforeAll(async () => {
    await seed(ns, 'broken-proxy', port);
  });

  it('every check finds its failure on the proxy-generation gateway (its resolver and upstreams are right)', async () => {
    const run = await doctorFor(ns, port).run();
    for (const c of run.checks) {
      const expected = expectedStatus(c.id, 'broken-proxy');
      expect(`${c.id}: ${c.status} ${c.summary}`).toMatch(new RegExp(`: ${expected} `));
    }
    const byId = (id: string) => run.checks.find((c) => c.id === id)!.summary;
    expect(byId('gateway-models')).toMatch(/not registered in the Entity Store/);
    expect(byId('gateway-deployment-mocks')).toMatch(/HTTP 404/);
    expect(run.verdict).toBe('unhealthy');
  });
});

describe('namespace discovery', () => {
  it('finds the namespaces that look like a Data Flywheel install, cluster-wide or namespace by namespace', async () => {
    const { flywheelNamespaces } = await import('../../checks/shared/install');
    const { access } = await import('./helpers');
    const empty = await ensureEmptyNamespace();
    const candidates = ['it-healthy', 'it-healthy-proxy', empty, 'kube-system'];
    const config = doctorFor('it-healthy', testPort(53)).config;
    // The admin may list cluster-wide by name; the viewer may not, so each namespace is asked.
    expect(await flywheelNamespaces(access('admin').app(), candidates, config)).toEqual([
      'it-healthy',
      'it-healthy-proxy',
    ]);
    const viewer = await flywheelNamespaces(access('readonly').app(), candidates, config);
    expect(viewer).toEqual(['it-healthy', 'it-healthy-proxy']);
  });
});
