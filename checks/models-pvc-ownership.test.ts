import { describe, expect, it } from 'vitest';
import { Snapshot } from '../lib/engine/snapshot';
import { judgeWith } from '../lib/engine/testing';
import check, { expectedUid, parseStatOutput, parseUidRange, type OwnershipProbe } from './models-pvc-ownership';
import { config, namespace, NS, pod, pvc } from './test-fixtures';

const RANGE = { 'openshift.io/sa.scc.uid-range': '1000920000/10000' };
const snap = (ns = namespace(RANGE), pods: unknown[] = [], pvcs = [pvc()]) =>
  Snapshot.fromFixture(NS, { namespaceObject: ns, pods: pods as never, persistentvolumeclaims: pvcs });
const probe = (out: string): OwnershipProbe => ({ ...parseStatOutput(out), probePod: 'fd-pvc-probe-x', node: 'n1' });
const judge = (s: Snapshot, p: OwnershipProbe) => judgeWith(check, s, p, config());

describe('parseUidRange', () => {
  it('parses start/length and start-end', () => {
    expect(parseUidRange('1000920000/10000')).toEqual({ start: 1000920000, size: 10000 });
    expect(parseUidRange('1000920000-1000929999')).toEqual({ start: 1000920000, size: 10000 });
  });
  it.each(['', 'abc', '1000920000', '1000920000/', '5-3', '1/0', '1000920000:10000'])('rejects %j', (v) =>
    expect(parseUidRange(v)).toBeUndefined(),
  );
});

describe('expected UID', () => {
  it('prefers the runAsUser of pods that mount the PVC over the range start', () => {
    const training = pod('train', {
      volumes: [{ name: 'm', persistentVolumeClaim: { claimName: 'finetuning-ms-models-pvc' } }],
      securityContext: { runAsUser: 1000920005 },
    });
    expect(expectedUid(snap(namespace(RANGE), [training]), config())).toMatchObject({ uid: 1000920005 });
  });
  it('is an error with the value shown when the annotation is malformed', () => {
    const e = expectedUid(snap(namespace({ 'openshift.io/sa.scc.uid-range': 'garbage' })), config());
    expect(e).toMatchObject({ error: expect.stringContaining('"garbage"') });
  });
  it('is skipped on vanilla Kubernetes without an observable training UID', () => {
    expect(expectedUid(snap(namespace({})), config())).toMatchObject({
      skip: expect.stringContaining('not OpenShift'),
    });
  });
});

describe('models-pvc-ownership judge', () => {
  const BROKEN =
    '1000 1000 /mount/models/llama32_1b-instruct_2_0\n1000 1000 /mount/models/llama32_1b-instruct_2_0/config.json\n';
  const FIXED = BROKEN.replace(/1000 1000/g, '1000920000 1000');
  it('fails when files are owned by 1000 (the guide situation)', () => {
    const r = judge(snap(), probe(BROKEN));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/1000:1000/);
  });
  it('passes when every entry has the expected owner', () => {
    expect(judge(snap(), probe(FIXED)).status).toBe('pass');
  });
  it('works with the start-end form', () => {
    expect(
      judge(snap(namespace({ 'openshift.io/sa.scc.uid-range': '1000920000-1000929999' })), probe(FIXED)).status,
    ).toBe('pass');
  });
  it('warns on an empty PVC and reports probe errors', () => {
    expect(judge(snap(), probe('')).status).toBe('warn');
    const r = judge(snap(), probe("stat: can't open '/mount/models/x': Permission denied\n"));
    expect(r.status).toBe('error');
  });
  it('is skipped with a reason when the PVC does not exist', () => {
    const r = judge(snap(namespace(RANGE), [], []), { notRun: 'no PVC' });
    expect(r.status).toBe('skipped');
    expect(r.summary).toMatch(/models\.pvc/);
  });
  it('is an error when the namespace does not exist', () => {
    expect(
      judge(Snapshot.fromFixture(NS, { namespaceObject: null, pods: [], persistentvolumeclaims: [pvc()] }), {
        notRun: 'x',
      }).status,
    ).toBe('error');
  });
  it('is an error when the probe pod failed', () => {
    expect(judge(snap(), { failed: 'pod fd-pvc-probe did not complete within 90 s' }).status).toBe('error');
  });
});
