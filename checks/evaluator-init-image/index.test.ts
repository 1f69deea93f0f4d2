import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import check, { evaluatorVersion, migrationVariable } from '.';
import { config, evaluatorCr, evaluatorDeployment, NS } from '../test-fixtures';

const IMAGE = 'nvcr.io/nvidia/nemo-microservices/evaluator:25.12';
const withInits = (inits: unknown[], ready = true) => {
  const d = evaluatorDeployment([], { ready });
  d.spec.template.spec.initContainers = inits;
  return d;
};
const WAIT = { name: 'wait-for-postgres', image: 'busybox' };
const migration = (env?: unknown[]) => ({ name: 'evaluator-db-migration', image: IMAGE, env });
const cr = () => ({
  ...evaluatorCr(),
  spec: { ...evaluatorCr().spec, image: { repository: IMAGE.split(':')[0], tag: '25.12' } },
});
const crashing = {
  metadata: { name: 'nemoevaluator-sample-abc' },
  status: {
    initContainerStatuses: [{ name: 'evaluator-db-migration', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
  },
};
const world = (inits: unknown[], pods: unknown[] = [], ready = true) =>
  Snapshot.fromFixture(NS, {
    deployments: [withInits(inits, ready)] as never,
    nemoevaluators: [cr()] as never,
    pods: pods as never,
  });
const judge = (s: Snapshot) => judgeWith(check, s, undefined, config());

describe('evaluator-init-image', () => {
  it.each([
    [
      'set to the CR image',
      [WAIT, migration([{ name: 'EVALUATOR_IMAGE', value: IMAGE }])],
      'pass',
      /has EVALUATOR_IMAGE=/,
    ],
    ['missing, pod in Init:CrashLoopBackOff', [WAIT, migration()], 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/],
    [
      'another version',
      [WAIT, migration([{ name: 'EVALUATOR_IMAGE', value: 'evaluator:25.08' }])],
      'FD-EVINIT-006',
      /migrations may run for another version/,
    ],
    [
      'no migration init container (older evaluator)',
      [WAIT],
      'FD-EVINIT-002',
      /has no init container evaluator-db-migration/,
    ],
  ])('%s', (_name, inits, status, summary) => {
    const r = judge(world(inits, [crashing]));
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('shows the crash-looping pod and the operator as root cause', () => {
    const r = judge(world([WAIT, migration()], [crashing]));
    expect(r.evidence.map((e) => e.value).join('\n')).toMatch(/Init:CrashLoopBackOff/);
    expect(r.rootCause).toMatch(/does not pass NemoEvaluator spec\.env to init containers/);
  });

  it('patches the init container found by name (position 2), never index 0, guarded by a test on its name', async () => {
    const p = await planWith(check, world([WAIT, migration()]), undefined, config());
    const ops = p.changes[0]!.patch!;
    expect(ops).toContainEqual({
      op: 'test',
      path: '/spec/template/spec/initContainers/1/name',
      value: 'evaluator-db-migration',
    });
    expect(ops).toContainEqual({
      op: 'add',
      path: '/spec/template/spec/initContainers/1/env',
      value: [{ name: 'EVALUATOR_IMAGE', value: IMAGE }],
    });
    expect(JSON.stringify(ops)).not.toMatch(/initContainers\/0/);
    expect(p.risks.join()).toMatch(/next operator re-render/);
  });

  it('offers the fix exactly when there is something to patch', () => {
    const set = [WAIT, migration([{ name: 'EVALUATOR_IMAGE', value: IMAGE }])];
    const rolling = judge(world(set, [], false));
    expect(outcome(rolling)).toBe('FD-EVINIT-007');
    expect(rolling.summary).toMatch(/rollout that carries it is not complete/);
    expect(availabilityWith(check, world(set, [], false), undefined, config()).reason).toMatch(/already set/);
    expect(availabilityWith(check, world([WAIT, migration()]), undefined, config()).available).toBe(true);
    const other = [WAIT, migration([{ name: 'EVALUATOR_IMAGE', value: 'evaluator:25.08' }])];
    expect(availabilityWith(check, world(other), undefined, config()).available).toBe(true);
  });

  it('goes after fixes that patch the NemoEvaluator CR', () => {
    expect(check.fix!.undoneBy).toContain('NemoEvaluator');
  });
});

describe('evaluator-init-image by evaluator version band', () => {
  const REPO = 'nvcr.io/nvidia/nemo-microservices/evaluator';
  const atTag = (tag: string, inits: unknown[], pods: unknown[] = []) =>
    Snapshot.fromFixture(NS, {
      deployments: [withInits(inits)] as never,
      nemoevaluators: [
        { ...evaluatorCr(), spec: { ...evaluatorCr().spec, image: { repository: REPO, tag } } },
      ] as never,
      pods: pods as never,
    });
  const operatorRender = (tag: string) => ({
    name: 'evaluator-db-migration',
    image: `${REPO}:${tag}`,
    env: [{ name: 'EVAL_CONTAINER', value: `${REPO}:${tag}` }],
  });
  it.each([
    // tag, pods crash-looping, status, summary, fix offered
    ['25.12', false, 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/, true],
    ['25.12.1', true, 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/, true],
    ['26.02', false, 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/, true],
    ['v25.12-rc1', false, 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/, true],
    ['25.08', false, 'pass', /Evaluator 25\.08 \(before 25\.12\) reads EVAL_CONTAINER/, false],
    ['25.04', false, 'pass', /reads EVAL_CONTAINER, not EVALUATOR_IMAGE/, false],
    [
      '25.11',
      true,
      'FD-EVINIT-003',
      /is failing, but evaluator 25\.11 \(before 25\.12\) does not read EVALUATOR_IMAGE/,
      false,
    ],
    ['latest', false, 'FD-EVINIT-004', /version cannot be told \(image tag "latest" is not a calendar version/, true],
    ['latest', true, 'FD-EVINIT-005', /has no EVALUATOR_IMAGE/, true],
  ] as const)('evaluator %s (crash-looping: %s) → %s', (tag, crashLoop, status, summary, offered) => {
    const s = atTag(tag, [WAIT, operatorRender(tag)], crashLoop ? [crashing] : []);
    const r = judge(s);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
    expect(availabilityWith(check, s, undefined, config()).available).toBe(offered);
  });

  it('reads the version from tags and digests, and tells when it cannot', () => {
    expect(evaluatorVersion(`${REPO}:25.12`)).toEqual({ tag: '25.12', version: 2512 });
    expect(evaluatorVersion('registry:5000/evaluator:25.09.3')).toEqual({ tag: '25.09.3', version: 2509 });
    expect(evaluatorVersion('registry:5000/evaluator')).toEqual({ tag: 'latest', version: undefined });
    expect(evaluatorVersion(`${REPO}@sha256:abc`)?.version).toBeUndefined();
    expect(migrationVariable(undefined, '25.12')).toEqual({ unknown: 'the evaluator image is not known' });
    // The band's start is configuration: a site that knows its 25.10 build reads EVALUATOR_IMAGE says so.
    expect(migrationVariable(`${REPO}:25.10`, '25.10')).toMatchObject({ reads: 'EVALUATOR_IMAGE' });
  });
});

describe('evaluator-init-image without an evaluator', () => {
  it('is skipped and says which Deployment it looked for', () => {
    const r = judge(Snapshot.fromFixture(NS, { deployments: [], nemoevaluators: [], pods: [] }));
    expect(outcome(r)).toBe('FD-EVINIT-001');
    expect(r.summary).toMatch(/No evaluator Deployment \(nemoevaluator-sample\)/);
  });
});
