import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, outcome } from '../../lib/engine/testing';
import type { KObject } from '../../lib/k8s/object';
import check from '.';
import entityStoreUrl from '../evaluator-entity-store-url';
import nimProxyUrl from '../evaluator-nim-proxy-url';
import { config, evaluatorCr, evaluatorDeployment, NS } from '../test-fixtures';

const secret = (name: string, data: Record<string, string>): KObject => ({
  metadata: { name, namespace: NS },
  type: 'Opaque',
  stringData: data,
});
const cr = (databaseConfig?: unknown, status?: unknown): KObject => ({
  ...evaluatorCr(),
  metadata: {
    ...evaluatorCr().metadata,
    uid: 'cr-uid',
    managedFields: [{ manager: 'helm', time: '2026-12-01T10:00:00Z' }],
  },
  spec: { ...evaluatorCr().spec, ...(databaseConfig ? { databaseConfig } : {}) },
  ...(status ? { status } : {}),
});
const DB = {
  host: 'nemo-infra-evaluator-postgresql',
  databaseName: 'evaldb',
  credentials: { user: 'evaluser', secretName: 'evaluator-pg-existing-secret', passwordKey: 'password' },
};
const failedEvent = (time: string): KObject => ({
  metadata: { name: 'nemoevaluator-sample.1' },
  type: 'Warning',
  reason: 'Failed',
  message:
    'NemoEvaluator nemoevaluator-sample failed, msg: failed to get secret: secrets "evaluator-pg-existing-secret" not found',
  involvedObject: { kind: 'NemoEvaluator', name: 'nemoevaluator-sample', uid: 'cr-uid' },
  lastTimestamp: time,
});
const SERVICE = 'evaluator-pg-existing-secret';
const DATABASE = 'nemo-infra-evaluator-postgresql';
const world = (secrets: KObject[], crs: KObject[] = [cr(DB, { state: 'Ready' })], events: KObject[] = []) =>
  Snapshot.fromFixture(NS, { secrets, nemoevaluators: crs, events });
const judge = (s: Snapshot) => judgeWith(check, s, undefined, config());

describe('nemo-database-secrets', () => {
  it.each([
    [
      'the operator has its Secret and the passwords agree',
      world([secret(SERVICE, { password: 'pw-1' }), secret(DATABASE, { password: 'pw-1', 'postgres-password': 'x' })]),
      'pass',
      /The operator has the database Secret of nemoevaluator-sample; the service and database passwords agree for evaluator/,
    ],
    [
      'the Secret the CR names is missing: the render stalls, the CR still says Ready',
      world([secret(DATABASE, { password: 'pw-1' })]),
      'FD-DBSEC-002',
      /cannot render NemoEvaluator nemoevaluator-sample \(Secret evaluator-pg-existing-secret, which spec\.databaseConfig names for the database password, does not exist\).*still says Ready/,
    ],
    [
      'the Secret lacks the key the CR names',
      world([secret(SERVICE, { pass: 'pw-1' })]),
      'FD-DBSEC-002',
      /Secret evaluator-pg-existing-secret has no key password/,
    ],
    [
      'the service and database passwords differ',
      world([secret(SERVICE, { password: 'pw-1' }), secret(DATABASE, { password: 'pw-2' })]),
      'FD-DBSEC-003',
      /evaluator-pg-existing-secret holds a different password than nemo-infra-evaluator-postgresql: the evaluator crashes right after wait-for-postgres/,
    ],
    [
      'helm install without CRs: only the database Secret exists for a service',
      world([secret('nemo-infra-customizer-postgresql', { password: 'pw' })], []),
      'FD-DBSEC-005',
      /customizer-pg-existing-secret does not: the NeMo instances chart creates it/,
    ],
    [
      "the operator's failure is newer than the CR's last change (a cause the doctor cannot see)",
      world([secret(SERVICE, { password: 'pw-1' })], [cr(DB)], [failedEvent('2026-12-01T10:05:00Z')]),
      'FD-DBSEC-004',
      /reports it failed to render NemoEvaluator nemoevaluator-sample after its last change/,
    ],
    [
      'an older failure, from before the last change, is history',
      world([secret(SERVICE, { password: 'pw-1' })], [cr(DB)], [failedEvent('2026-12-01T09:00:00Z')]),
      'pass',
      /The operator has the database Secret/,
    ],
    [
      'nothing with a database here',
      world([secret('ngc-api', { NGC_API_KEY: 'k' })], [cr()]),
      'FD-DBSEC-001',
      /No NeMo database Secrets/,
    ],
  ] as const)('%s', (_name, snapshot, status, summary) => {
    const r = judge(snapshot);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('compares passwords without holding them: neither value reaches the finding', () => {
    const r = judge(
      world([secret(SERVICE, { password: 'hunter2-one' }), secret(DATABASE, { password: 'hunter2-two' })]),
    );
    expect(outcome(r)).toBe('FD-DBSEC-003');
    expect(JSON.stringify(r)).not.toMatch(/hunter2|aHVudGVyM/);
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(/DIFFERENT passwords/);
  });

  it("shows the operator's own words when the render is stalled", () => {
    const r = judge(world([], [cr(DB)], [failedEvent('2026-12-01T10:05:00Z')]));
    expect(outcome(r)).toBe('FD-DBSEC-002');
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(
      /failed to get secret: secrets "evaluator-pg-existing-secret" not found/,
    );
    expect(r.rootCause).toMatch(/leaves the status untouched/);
  });
});

describe('fixes that patch the NemoEvaluator CR while the operator cannot render', () => {
  const stalled = (d: KObject) =>
    Snapshot.fromFixture(NS, {
      deployments: [d],
      nemoevaluators: [
        {
          ...cr(DB),
          spec: { ...cr(DB).spec, env: [{ name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:80' }] },
        },
      ],
      secrets: [],
      configmaps: [],
      services: [
        { metadata: { name: 'meta-llama3-1b-instruct', namespace: NS }, spec: { ports: [{ port: 8000 }] } },
        { metadata: { name: 'nemo-gateway', namespace: NS }, spec: { ports: [{ port: 80 }] } },
      ],
      nimservices: [],
    });
  it.each([
    [
      'evaluator-entity-store-url',
      entityStoreUrl,
      evaluatorDeployment([{ name: 'ENTITY_STORE_URL', value: 'http://nemoentitystore-sample:8000' }]),
    ],
    [
      'evaluator-nim-proxy-url',
      nimProxyUrl,
      evaluatorDeployment([{ name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:80' }]),
    ],
  ] as const)('%s is not offered, and says why', (_id, fixCheck, deployment) => {
    const a = availabilityWith(fixCheck, stalled(deployment), undefined, config());
    expect(a.available).toBe(false);
    expect(a.reason).toMatch(
      /the NIM Operator cannot render the evaluator \(Secret evaluator-pg-existing-secret, .* does not exist\), so a NemoEvaluator patch would never reach the Deployment: fix check nemo-database-secrets first/,
    );
  });
});
