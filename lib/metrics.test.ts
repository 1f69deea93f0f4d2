import { describe, expect, it } from 'vitest';
import type { RunResult } from './engine/types';
import { DoctorMetrics } from './metrics';

const run = (namespace: string, error?: string): RunResult =>
  ({
    namespace,
    state: 'done',
    error,
    finishedAt: new Date().toISOString(),
    timings: { snapshotMs: 1, totalMs: 2 },
    checks: [{ id: 'pod-health', status: error ? 'error' : 'pass' }],
  }) as unknown as RunResult;

const series = async (m: DoctorMetrics) =>
  (await m.registry.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).length;

describe('metrics stay bounded whatever namespaces are asked for', () => {
  it('runs for namespaces that do not exist add no series, only a count', async () => {
    const m = new DoctorMetrics();
    const before = await series(m);
    for (let i = 0; i < 200; i++) m.recordRun(run(`made-up-${i}`, `namespace made-up-${i} does not exist`));
    expect((await series(m)) - before).toBe(1);
    expect(await m.registry.metrics()).toContain(
      'flywheel_doctor_runs_unlabelled_total{cause="namespace-not-judged"} 200',
    );
  });

  it('a namespace judged once keeps its series when a later run fails (the alerts need them)', async () => {
    const m = new DoctorMetrics();
    m.recordRun(run('flywheel'));
    m.recordRun(run('flywheel', 'cannot reach the Kubernetes API server'));
    expect(await m.registry.metrics()).toContain(
      'flywheel_doctor_check_status{namespace="flywheel",check="pod-health",status="error"} 1',
    );
  });

  it('at most MAX_NAMESPACES namespaces have series', async () => {
    const m = new DoctorMetrics();
    for (let i = 0; i < DoctorMetrics.MAX_NAMESPACES + 30; i++) m.recordRun(run(`ns-${i}`));
    const text = await m.registry.metrics();
    const namespaces = new Set([...text.matchAll(/namespace="([^"]+)"/g)].map((x) => x[1]));
    expect(namespaces.size).toBe(DoctorMetrics.MAX_NAMESPACES);
    expect(text).toContain('flywheel_doctor_runs_unlabelled_total{cause="namespace-limit"} 30');
  });
});

describe('suppressed findings in the metrics', () => {
  const withFinding = (c: Record<string, unknown>): RunResult =>
    ({ ...run('flywheel'), checks: [{ id: 'models-pvc-ownership', ...c }] }) as unknown as RunResult;
  const text = async (m: DoctorMetrics) => m.registry.metrics();

  it('a suppressed failure is 1 under status="suppressed", 0 under "fail", and counted by its code', async () => {
    const m = new DoctorMetrics();
    m.recordRun(withFinding({ status: 'fail', code: 'FD-PVC-007', suppressed: { reason: 'r', by: 'b' } }));
    const t = await text(m);
    expect(t).toContain(
      'flywheel_doctor_check_status{namespace="flywheel",check="models-pvc-ownership",status="suppressed"} 1',
    );
    expect(t).toContain(
      'flywheel_doctor_check_status{namespace="flywheel",check="models-pvc-ownership",status="fail"} 0',
    );
    expect(t).toContain(
      'flywheel_doctor_suppressed_findings{namespace="flywheel",check="models-pvc-ownership",code="FD-PVC-007"} 1',
    );
  });

  it('drops the series of a code the check no longer reports', async () => {
    const m = new DoctorMetrics();
    m.recordRun(withFinding({ status: 'fail', code: 'FD-PVC-007', suppressed: { reason: 'r', by: 'b' } }));
    m.recordRun(withFinding({ status: 'pass' }));
    expect(await text(m)).not.toContain('code="FD-PVC-007"');
    m.recordRun(withFinding({ status: 'warn', code: 'FD-PVC-010' }));
    expect(await text(m)).toContain(
      'flywheel_doctor_suppressed_findings{namespace="flywheel",check="models-pvc-ownership",code="FD-PVC-010"} 0',
    );
  });
});
