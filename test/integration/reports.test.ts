/** Shared reports stored as labelled ConfigMaps: save, list newest first, retention, get, delete. */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../lib/report/build';
import { ReportStore } from '../../lib/report/store';
import { RESOURCES } from '../../lib/k8s/resources';
import { testPort } from '../cluster/paths';
import { access, doctorFor, seed } from './helpers';

const NS = 'it-reports';
const PORT = testPort(52);

describe('report store', () => {
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
  });

  it('keeps the newest reports up to the retention limit and masks what it must', async () => {
    const doctor = doctorFor(NS, PORT);
    const run = await doctor.run();
    const store = new ReportStore(access('admin').app(), NS, 2);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await buildReport(doctor, run, { createdBy: 'tester', anonymize: i === 2 });
      await store.save(report);
      ids.push(report.id);
      await new Promise((r) => setTimeout(r, 5)); // distinct createdAt
    }
    const listed = await store.list();
    expect(listed.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(await store.get(ids[0]!)).toBeUndefined();
    const anonymized = (await store.get(ids[2]!))!;
    expect(anonymized.anonymized).toBe(true);
    expect(JSON.stringify(anonymized)).not.toContain(NS);
    // The worker's log line with its API key is masked, and the report says so.
    const withLog = (await store.get(ids[1]!))!;
    expect(JSON.stringify(withLog)).not.toContain('FDSEEDSECRET');
    expect(withLog.masked.length).toBeGreaterThan(0);
    for (const m of withLog.masked) expect(run.checks.map((c) => c.id)).toContain(m.where.split(/[ .:/]/)[0]);
    const cms = await access('admin')
      .app()
      .list<{ metadata: { labels: Record<string, string> } }>(RESOURCES.configmaps, NS, {
        query: { labelSelector: 'flywheel-doctor.dev/report=true' },
      });
    expect(cms.items).toHaveLength(2);
    expect(await store.delete(ids[1]!)).toBe(true);
    expect(await store.delete(ids[1]!)).toBe(false);
    expect(await store.get('../../etc')).toBeUndefined();
  });
});
