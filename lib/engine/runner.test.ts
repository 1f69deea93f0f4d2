import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../config';
import { namespaceNotice, runOneCheck, verdictOf } from './runner';
import { Snapshot } from './snapshot';
import { defineCheck } from './types';

const config = loadConfig(configSchema({}), { namespace: 'ns', checkTimeoutMs: 200 }, {});
const base = {
  title: 't',
  area: 'Workloads' as const,
  codes: {},
  needs: [],
  explain: { symptom: 's', rootCause: 'r', manualFix: () => [] },
};

describe('runner isolation', () => {
  it('turns a throwing check into an error result', async () => {
    const c = defineCheck({
      ...base,
      id: 'boom',
      judge: () => {
        throw new Error('kaput');
      },
    });
    const r = await runOneCheck(c, new Snapshot('ns'), { client: {} as never, config });
    expect(r.status).toBe('error');
    expect(r.summary).toContain('kaput');
  });
  it('times out a slow probe with a message that says what to do', async () => {
    const c = defineCheck<Record<string, never>, undefined, number>({
      ...base,
      id: 'slow',
      probe: () => new Promise((r) => setTimeout(() => r(1), 5000)),
      judge: () => ({ status: 'pass', summary: '', evidence: [] }),
    });
    const r = await runOneCheck(c, new Snapshot('ns'), { client: {} as never, config });
    expect(r.status).toBe('error');
    expect(r.summary).toMatch(/timed out.*checkTimeoutMs/);
  });
  it('never calls a run with an error healthy', () => {
    expect(verdictOf({ pass: 4, warn: 0, fail: 0, error: 1, skipped: 0, suppressed: 0 })).toBe('incomplete');
    expect(verdictOf({ pass: 5, warn: 0, fail: 0, error: 0, skipped: 0, suppressed: 0 })).toBe('healthy');
    expect(verdictOf({ pass: 3, warn: 1, fail: 1, error: 0, skipped: 0, suppressed: 0 })).toBe('unhealthy');
  });
});

describe('namespaceNotice: every run says when the namespace is being deleted', () => {
  it.each([
    ['Active', { status: { phase: 'Active' } }, undefined],
    [
      'Terminating',
      { status: { phase: 'Terminating' }, metadata: { name: 'ns', deletionTimestamp: '2026-12-04T10:00:00Z' } },
      /namespace ns is being deleted \(Terminating since 2026-12-04T10:00:00Z\)/,
    ],
    ['unreadable', new Error('forbidden'), undefined],
  ])('%s', (_what, namespaceObject, notice) => {
    const snap = Snapshot.fromFixture('ns', { namespaceObject: namespaceObject as never });
    if (notice) expect(namespaceNotice(snap)).toMatch(notice);
    else expect(namespaceNotice(snap)).toBeUndefined();
  });
});
