import { describe, expect, it } from 'vitest';
import type { Doctor } from '../engine/doctor';
import type { RunResult } from '../engine/types';
import { buildReport } from './build';

const run = {
  id: 'r',
  namespace: 'flywheel',
  startedAt: '2026-11-30T01:00:00.000Z',
  finishedAt: '2026-11-30T01:00:01.000Z',
  state: 'done',
  verdict: 'unhealthy',
  pending: [],
  timings: { snapshotMs: 1, totalMs: 1 },
  summary: { pass: 0, warn: 0, fail: 2, error: 0, skipped: 0 },
  checks: [
    { id: 'a', title: 'A', status: 'fail', summary: 'x', evidence: [], symptom: '', rootCause: '', manualFix: [] },
    { id: 'b', title: 'B', status: 'fail', summary: 'y', evidence: [], symptom: '', rootCause: '', manualFix: [] },
  ],
} as unknown as RunResult;
const fix = (checkId: string, at: string, outcome = 'applied') => ({
  checkId,
  at,
  by: 'admin',
  outcome,
  summary: 's',
  verifiedStatus: 'pass' as const,
});
const history = [
  {
    at: '2026-11-30T01:02:00.000Z',
    runId: 'w',
    reason: 'change',
    statuses: { a: 'fail' },
    transitions: [{ check: 'a', from: 'pass', to: 'fail' }],
    trigger: { kind: 'NemoEvaluator', name: 'e', event: 'MODIFIED', changedBy: 'helm', diff: [{ path: 'spec.env' }] },
    fixes: [{ check: 'a', by: 'sa', auto: true, outcome: 'applied', verified: 'pass', summary: 'restored' }],
  },
];
/** A doctor whose cluster holds this history ConfigMap (or none). */
const doctor = (fixLog: unknown[], entries?: unknown[]) =>
  ({
    fixLog,
    appNamespace: 'app',
    clusterInfo: async () => ({ server: 'https://api:6443', version: 'v1', reachable: true }),
    client: () => ({
      get: async () => {
        if (!entries) throw new Error('not found');
        return { data: { 'history.json': JSON.stringify(entries) } };
      },
    }),
  }) as unknown as Doctor;

describe('a report of a run with fixes after it', () => {
  it('marks the checks fixed after the run (not those fixed before, nor no-ops)', async () => {
    const r = await buildReport(
      doctor([
        fix('a', '2026-11-30T01:05:00.000Z'),
        fix('b', '2026-11-30T00:59:00.000Z'),
        fix('b', '2026-11-30T01:06:00.000Z', 'noop'),
      ]),
      run,
      { createdBy: 'admin', anonymize: false },
    );
    expect(r.fixedAfterRun).toEqual({ a: { at: '2026-11-30T01:05:00.000Z', verified: 'pass' } });
  });
  it('says nothing when no fix came after the run', async () => {
    const r = await buildReport(doctor([]), run, { createdBy: 'admin', anonymize: false });
    expect(r.fixedAfterRun).toBeUndefined();
  });

  it('includes the regressions and the automatic fixes the watch recorded in its time range', async () => {
    const r = await buildReport(doctor([], history), run, { createdBy: 'admin', anonymize: false });
    expect(r.regressions).toEqual([
      { at: '2026-11-30T01:02:00.000Z', check: 'a', to: 'fail', cause: 'NemoEvaluator e changed by helm (spec.env)' },
    ]);
    expect(r.fixes).toEqual([
      expect.objectContaining({ checkId: 'a', by: 'sa (automatic, on regression)', verifiedStatus: 'pass' }),
    ]);
  });
});
