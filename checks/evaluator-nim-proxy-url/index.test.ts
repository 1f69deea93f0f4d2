import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import check, { withPort } from '.';
import { config, evaluatorCr, evaluatorDeployment, NS } from '../test-fixtures';

const proxy = (value: string) => ({ name: 'NIM_PROXY_URL', value });
const svc = (name: string, ports: number[]) => ({
  metadata: { name },
  spec: { ports: ports.map((port) => ({ port })) },
});
const NIM = svc('meta-llama3-1b-instruct', [8000]);
const world = (crValue: string | undefined, depValue: string | undefined, services: unknown[] = [NIM], cr = true) =>
  Snapshot.fromFixture(NS, {
    deployments: [evaluatorDeployment(depValue ? [proxy(depValue)] : [], { owned: cr })] as never,
    nemoevaluators: (cr ? [evaluatorCr(crValue ? [proxy(crValue)] : undefined)] : []) as never,
    services: services as never,
    configmaps: [],
  });
const judge = (s: Snapshot) => judgeWith(check, s, undefined, config());

describe('evaluator-nim-proxy-url', () => {
  it.each([
    [
      'the Service port',
      world('http://meta-llama3-1b-instruct:8000', 'http://meta-llama3-1b-instruct:8000'),
      'pass',
      /names a port of Service meta-llama3-1b-instruct/,
    ],
    [
      'the full Service name',
      world(`http://meta-llama3-1b-instruct.${NS}.svc.cluster.local:8000`, undefined),
      'pass',
      /names a port/,
    ],
    [
      'the chart default port 80',
      world('http://meta-llama3-1b-instruct:80', 'http://meta-llama3-1b-instruct:80'),
      'FD-EVNIM-003',
      /port 80 is not a port of Service meta-llama3-1b-instruct \(8000\)/,
    ],
    [
      'no port at all (80 implied)',
      world('http://meta-llama3-1b-instruct', undefined),
      'FD-EVNIM-003',
      /port 80 is not a port/,
    ],
    [
      'a Service that does not exist',
      world('http://llama-nim:8000', undefined),
      'FD-EVNIM-003',
      /names Service llama-nim, which does not exist/,
    ],
    [
      'the Deployment is wrong, the CR right (next render fixes it)',
      world('http://meta-llama3-1b-instruct:8000', 'http://meta-llama3-1b-instruct:80'),
      'FD-EVNIM-003',
      /port 80/,
    ],
    [
      'an address outside the namespace',
      world('https://integrate.api.nvidia.com', undefined),
      'pass',
      /points outside this namespace/,
    ],
    ['not set', world(undefined, undefined), 'FD-EVNIM-002', /is not set/],
    ['not a URL', world('::nope', undefined), 'FD-EVNIM-003', /is not a URL/],
  ])('%s', (_name, snapshot, status, summary) => {
    const r = judge(snapshot);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('plans the CR patch with the Service port (the durable path), guarded', async () => {
    const p = await planWith(
      check,
      world('http://meta-llama3-1b-instruct:80', 'http://meta-llama3-1b-instruct:80'),
      undefined,
      config(),
    );
    expect(p.changes[0]).toMatchObject({
      target: `NemoEvaluator ${NS}/nemoevaluator-sample`,
      after: 'http://meta-llama3-1b-instruct:8000',
    });
    expect(p.guards).toHaveLength(1);
  });

  it('without a CR, patches the Deployment', async () => {
    const p = await planWith(
      check,
      world(undefined, 'http://meta-llama3-1b-instruct:80', [NIM], false),
      undefined,
      config(),
    );
    expect(p.summary).toMatch(/^Patch Deployment nemoevaluator-sample/);
  });

  it('offers no fix when it cannot know the port, and says why', () => {
    const several = world('http://nim:80', undefined, [svc('nim', [9000, 9001])]);
    expect(availabilityWith(check, several, undefined, config()).reason).toMatch(/several ports \(9000, 9001\)/);
    const missing = world('http://llama-nim:8000', undefined);
    expect(availabilityWith(check, missing, undefined, config()).reason).toMatch(/does not exist here/);
  });

  it('replaces only the port', () => {
    expect(withPort('http://nim:80/v1', 8000)).toBe('http://nim:8000/v1');
    expect(withPort('http://nim', 8000)).toBe('http://nim:8000');
  });
});

describe('evaluator-nim-proxy-url without an evaluator', () => {
  it('is skipped and says which Deployment it looked for', () => {
    const s = Snapshot.fromFixture(NS, { deployments: [], nemoevaluators: [], services: [], configmaps: [] });
    const r = judge(s);
    expect(outcome(r)).toBe('FD-EVNIM-001');
    expect(r.summary).toMatch(/No evaluator Deployment \(nemoevaluator-sample\)/);
  });
});
