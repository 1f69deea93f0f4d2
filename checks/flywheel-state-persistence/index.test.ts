import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check from '.';
import { config, NS } from '../test-fixtures';

const store = (name: string, volumes: unknown[] = [], mounts: unknown[] = []) => ({
  metadata: { name },
  spec: { template: { spec: { volumes, containers: [{ name: 'db', volumeMounts: mounts }] } } },
});
const claim = (claimName: string) => ({ name: 'data', persistentVolumeClaim: { claimName } });
const at = (mountPath: string) => [{ name: 'data', mountPath }];
const ALL_ON_CLAIMS = [
  store('df-mongodb-deployment', [claim('m')], at('/data/db')),
  store('df-redis-deployment', [claim('r')], at('/data')),
  store('df-elasticsearch-deployment', [claim('e')], at('/usr/share/elasticsearch')),
];
const judge = (deployments: unknown[]) =>
  judgeWith(check, Snapshot.fromFixture(NS, { deployments: deployments as never }), undefined, config());

describe('flywheel-state-persistence', () => {
  it.each([
    [
      'every store on a claim (a parent directory mounted counts)',
      ALL_ON_CLAIMS,
      'pass',
      /keep their data on persistent volume claims/,
    ],
    [
      'MongoDB on no volume at all',
      [store('df-mongodb-deployment'), ...ALL_ON_CLAIMS.slice(1)],
      'FD-STATE-002',
      /^MongoDB keeps data that a pod restart loses/,
    ],
    [
      'Redis on an emptyDir',
      [ALL_ON_CLAIMS[0], store('df-redis-deployment', [{ name: 'data', emptyDir: {} }], at('/data')), ALL_ON_CLAIMS[2]],
      'FD-STATE-002',
      /^Redis keeps data/,
    ],
    [
      'a claim mounted somewhere else than the data directory',
      [store('df-mongodb-deployment', [claim('m')], at('/backup')), ...ALL_ON_CLAIMS.slice(1)],
      'FD-STATE-002',
      /^MongoDB keeps/,
    ],
    [
      'a hostPath keeps data only on one node',
      [
        store('df-mongodb-deployment', [{ name: 'data', hostPath: { path: '/srv' } }], at('/data/db')),
        ...ALL_ON_CLAIMS.slice(1),
      ],
      'FD-STATE-003',
      /hostPath/,
    ],
    ['none of the stores is deployed here', [], 'FD-STATE-001', /None of the flywheel's stores/],
  ])('%s', (_name, deployments, status, summary) => {
    const r = judge(deployments);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('names the volume and the claim in the evidence, and the Deployment by its real name', () => {
    const r = judge(ALL_ON_CLAIMS);
    expect(r.evidence[0]).toMatchObject({ label: 'MongoDB (Deployment df-mongodb-deployment)', tone: 'good' });
    expect(r.evidence[0]!.value).toMatch(/PVC m/);
  });
});

describe('a store with more than one data directory', () => {
  const twoPaths = config({
    flywheelState: {
      stores: [{ name: 'MongoDB', deployment: 'df-mongodb', dataPaths: ['/data/db', '/data/configdb'] }],
    },
  });
  const mongo = (volumes: unknown[], mounts: unknown[]) => [store('df-mongodb-deployment', volumes, mounts)];
  it.each<[string, unknown[], string, RegExp]>([
    [
      'one on a PVC, the other on an emptyDir: the emptyDir decides',
      mongo(
        [claim('m'), { name: 'config', emptyDir: {} }],
        [...at('/data/db'), { name: 'config', mountPath: '/data/configdb' }],
      ),
      'FD-STATE-002',
      /^MongoDB keeps data/,
    ],
    ['both on claims', mongo([claim('m')], at('/data')), 'pass', /persistent volume claims/],
  ])('%s', (_, deployments, status, summary) => {
    const r = judgeWith(check, Snapshot.fromFixture(NS, { deployments: deployments as never }), undefined, twoPaths);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});
