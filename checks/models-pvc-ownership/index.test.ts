import { planFingerprint } from '../../lib/engine/fix';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, planWith, outcome } from '../../lib/engine/testing';
import check, { expectedUid, parseTreeScan, parseUidRange, probeCommand, stalePods, type OwnershipProbe } from '.';
import { summaryComplete } from './scan';
import { config, namespace, NS, pod, pvc } from '../test-fixtures';

const RANGE = { 'openshift.io/sa.scc.uid-range': '1000920000/10000' };
const snap = (ns = namespace(RANGE), pods: unknown[] = [], pvcs = [pvc()]) =>
  Snapshot.fromFixture(NS, { namespaceObject: ns, pods: pods as never, persistentvolumeclaims: pvcs });
const probe = (out: string): OwnershipProbe => ({ ...parseTreeScan(out), probePod: 'fd-pvc-probe-x', node: 'n1' });
/** The probe pod's log for a tree (the format probeCommand prints). */
const scanLog = (o: { scanned: number; wrong?: Array<[string, string]>; errors?: string[]; complete?: boolean }) => {
  const wrong = o.wrong ?? [];
  const owners = new Map<string, number>();
  for (const [owner] of wrong) owners.set(owner, (owners.get(owner) ?? 0) + 1);
  return [
    ...wrong.map(([owner, p]) => `WRONG ${owner.replace(':', ' ')} ${p}`),
    ...(o.errors ?? []).map((e) => `ERROR ${e}`),
    ...(o.complete === false
      ? []
      : [`SCANNED ${o.scanned}`, `BAD ${wrong.length}`, `ERRORS ${(o.errors ?? []).length}`]),
    ...[...owners].map(([owner, n]) => `OWNER ${owner} ${n}`),
  ].join('\n');
};
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

// Every distinct summary the check can produce, one case each.
describe('models-pvc-ownership summaries', () => {
  const DEEP = './llama32_1b-instruct_2_0/checkpoints/step-100/shard/model.safetensors';
  it.each([
    [
      'fail: wrong owners at any depth',
      snap(),
      probe(
        scanLog({
          scanned: 40,
          wrong: [
            ['1000:1000', DEEP],
            ['1000:1000', './.cache/huggingface/x'],
          ],
        }),
      ),
      'FD-PVC-007',
      /^2 of 40 entries are owned by 1000:1000, not UID 1000920000: customization jobs get "Permission denied"$/,
    ],
    [
      'fail: directories the probe UID cannot read',
      snap(),
      probe(scanLog({ scanned: 3, errors: ["find: './m/private': Permission denied"] })),
      'FD-PVC-008',
      /could not read a directory under \/mount\/models .*training pods with the same UID cannot either/,
    ],
    [
      'error: other probe errors',
      snap(),
      probe(scanLog({ scanned: 0, errors: ['find: I/O error'] })),
      'FD-PVC-009',
      /could not list the model files: find: I\/O error/,
    ],
    [
      'error: the probe was cut short',
      snap(),
      probe(scanLog({ scanned: 0, complete: false })),
      'FD-PVC-006',
      /cut short/,
    ],
    [
      'fail: a fix preview, which starts no probe pod',
      snap(),
      { previewed: true } as OwnershipProbe,
      'FD-PVC-004',
      /not probed again for this preview .*applying probes \/mount\/models first and changes nothing if every file is already owned by UID 1000920000/,
    ],
    ['warn: an empty volume', snap(), probe(scanLog({ scanned: 0 })), 'FD-PVC-010', /holds no model files yet/],
    [
      'pass: every entry has the expected owner',
      snap(),
      probe(scanLog({ scanned: 100000 })),
      'pass',
      /^All 100000 entries are owned by UID 1000920000$/,
    ],
    [
      'pass with the start-end form',
      snap(namespace({ 'openshift.io/sa.scc.uid-range': '1000920000-1000929999' })),
      probe(scanLog({ scanned: 5 })),
      'pass',
      /UID 1000920000/,
    ],
    ['skipped: no PVC', snap(namespace(RANGE), [], []), { notRun: 'no PVC' }, 'FD-PVC-001', /models\.pvc/],
    [
      'skipped: no UID to compare with',
      snap(namespace({})),
      { notRun: 'no expected UID' },
      'FD-PVC-003',
      /not OpenShift/,
    ],
    [
      'error: the namespace does not exist',
      Snapshot.fromFixture(NS, { namespaceObject: null, pods: [], persistentvolumeclaims: [pvc()] }),
      { notRun: 'x' },
      'FD-PVC-002',
      /does not exist/,
    ],
    [
      'error: malformed UID range',
      snap(namespace({ 'openshift.io/sa.scc.uid-range': 'garbage' })),
      { notRun: 'x' },
      'FD-PVC-002',
      /malformed/,
    ],
    [
      'error: the probe pod failed',
      snap(),
      { failed: 'pod fd-pvc-probe did not complete within 90 s' },
      'FD-PVC-005',
      /Could not inspect the files/,
    ],
  ] as const)('%s', (_name, s, p, status, summary) => {
    const r = judge(s, p as OwnershipProbe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('states how many entries were scanned and shows a bounded sample', () => {
    const wrong = Array.from({ length: 20 }, (_, i) => ['1000:1000', `./m/${i}`] as [string, string]);
    const log = scanLog({ scanned: 5000, wrong })
      .replace('BAD 20', 'BAD 3000')
      .replace('OWNER 1000:1000 20', 'OWNER 1000:1000 3000');
    const r = judge(snap(), probe(log));
    const text = r.evidence.map((e) => `${e.label}: ${e.value}`).join('\n');
    expect(text).toMatch(
      /Entries scanned: 5000 under \/mount\/models \(every depth, dotfiles included, symlinks not followed\)/,
    );
    expect(text).toMatch(/and 2980 more/);
    expect(r.summary).toMatch(/^3000 of 5000/);
  });
});

describe('the probe command on a real tree (find + awk, as in the pod)', () => {
  it('sees every depth and dotfiles, never follows symlinks, and stays bounded', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-tree-'));
    const me = process.getuid!();
    fs.mkdirSync(path.join(root, 'm/checkpoints/step-100/deep'), { recursive: true });
    fs.mkdirSync(path.join(root, '.cache/huggingface'), { recursive: true });
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(root, 'm/checkpoints/step-100/deep', `f${i}`), '');
    fs.writeFileSync(path.join(root, '.cache/huggingface/tok.json'), '');
    fs.symlinkSync('/etc', path.join(root, 'link-out'));
    // Everything is ours (me); the scan is run expecting another UID, so every entry is "wrong".
    const summary = path.join(root, '..', `${path.basename(root)}.summary`);
    const out = execFileSync('sh', ['-c', probeCommand(root, me + 1, summary)]).toString();
    // The termination message is the summary itself, whole (it ends with END).
    expect(fs.readFileSync(summary, 'utf8')).toBe(out);
    expect(summaryComplete(out)).toBe(true);
    fs.rmSync(summary);
    const scan = parseTreeScan(out);
    expect(scan.errors).toEqual([]);
    expect(scan.complete).toBe(true);
    expect(scan.scanned).toBe(6 + 51); // 6 directories (m, checkpoints, step-100, deep, .cache, huggingface) + 51 files; not the root, not the link
    expect(scan.wrong).toBe(scan.scanned);
    expect(scan.samples).toHaveLength(20);
    expect(out.split('\n').length).toBeLessThan(40);
    expect(scan.samples.some((x) => x.path.includes('/etc'))).toBe(false);
    const expectedOwner = parseTreeScan(execFileSync('sh', ['-c', probeCommand(root, me, summary)]).toString());
    expect(expectedOwner.wrong).toBe(0);
    fs.rmSync(summary);
    fs.rmSync(root, { recursive: true });
  });

  it('says so when the volume cannot be entered, and still ends the summary', () => {
    const summary = path.join(os.tmpdir(), `fd-summary-${process.pid}`);
    const out = execFileSync('sh', [
      '-c',
      `${probeCommand('/nonexistent/fd-models', 1000, summary)} 2>/dev/null`,
    ]).toString();
    expect(out).toBe('ERROR cannot enter /nonexistent/fd-models\nSCANNED 0\nEND\n');
    expect(fs.readFileSync(summary, 'utf8')).toBe(out);
    fs.rmSync(summary);
    expect(parseTreeScan(out)).toMatchObject({
      complete: true,
      scanned: 0,
      errors: ['cannot enter /nonexistent/fd-models'],
    });
  });

  it.each([
    ['a whole summary', 'SCANNED 3\nBAD 0\nERRORS 0\nEND\n', true],
    ['cut by the kubelet at 4096 bytes', 'WRONG 1000 0 ./a\nWRONG 1000 0 ./b', false],
    ['empty (a runtime that keeps no message)', '', false],
    ['END inside a path is not the end', 'WRONG 1000 0 ./END', false],
  ])('a termination message that is %s', (_what, message, whole) => {
    expect(summaryComplete(message)).toBe(whole);
  });
});

describe('models-pvc-ownership fix', () => {
  it('offers no fix for an empty volume (nothing to chown), and does for wrong owners', () => {
    const avail = (p: OwnershipProbe) => {
      const s = snap();
      const subject = check.locate!(s, config());
      const finding = judge(s, p);
      return check.fix!.available!({ snapshot: s, subject, probe: p, finding, config: config() });
    };
    expect(avail(probe(scanLog({ scanned: 0 })))).toMatchObject({ reason: /volume holds no files/ });
    expect(avail(probe(scanLog({ scanned: 3, wrong: [['1000:1000', './a']] })))).toBe(true);
  });
  it('chowns with -h (links, not what they point at) and is a no-op when every entry is right', async () => {
    const p = await planWith(check, snap(), probe(scanLog({ scanned: 9, wrong: [['1000:1000', './a']] })), config());
    expect(p.summary).toMatch(/1 of 9 entries owned by another UID/);
    const pod = (p.data as { pod: { spec: { containers: Array<{ command: string[] }> } } }).pod;
    expect(pod.spec.containers[0]!.command.join(' ')).toMatch(
      /find '\/mount\/models' -mindepth 1 -maxdepth 1 -exec chown -R -h 1000920000:1000 \{\} \+/,
    );
    expect((await planWith(check, snap(), probe(scanLog({ scanned: 9 })), config())).noop).toBe(true);
  });
  it('a preview plans the chown conditionally, and binds to the same writes as the probed plan', async () => {
    const previewed = await planWith(check, snap(), { previewed: true } as OwnershipProbe, config());
    const probed = await planWith(
      check,
      snap(),
      probe(scanLog({ scanned: 9, wrong: [['1000:1000', './a']] })),
      config(),
    );
    expect(previewed.noop).toBe(false);
    expect(previewed.summary).toMatch(/once a probe pod has confirmed .*nothing runs if none are/);
    expect(
      check.fix!.available!({
        snapshot: snap(),
        subject: check.locate!(snap(), config()),
        probe: { previewed: true } as OwnershipProbe,
        finding: judge(snap(), { previewed: true } as OwnershipProbe),
        config: config(),
      }),
    ).toBe(true);
    expect(planFingerprint({ checkId: check.id, ...previewed })).toBe(
      planFingerprint({ checkId: check.id, ...probed }),
    );
  });
});

describe('pods left behind', () => {
  it('finds our probe and chown pods past their deadline, never other pods or fresh ones', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const ours = (name: string, ageS: number) => ({
      ...pod(name, { labels: { 'flywheel-doctor.dev/role': 'pvc-probe' } }),
      metadata: {
        name,
        namespace: NS,
        labels: { 'flywheel-doctor.dev/role': 'pvc-probe' },
        creationTimestamp: new Date(now - ageS * 1000).toISOString(),
      },
    });
    const theirs = {
      ...pod('training'),
      metadata: { name: 'training', namespace: NS, creationTimestamp: new Date(now - 10_000_000).toISOString() },
    };
    const s = snap(namespace(RANGE), [ours('fd-pvc-probe-old', 3600), ours('fd-pvc-probe-new', 10), theirs]);
    expect(stalePods(s, config(), now)).toEqual(['fd-pvc-probe-old']);
  });
});
