import { describe, expect, it } from 'vitest';
import { lastWriter, objectDiff } from './diff';
import type { KObject } from '../k8s/object';

const cr = (env: unknown, extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'e', resourceVersion: '1', managedFields: [], ...extra },
  spec: { env },
  status: { x: 1 },
});

describe('objectDiff', () => {
  it.each([
    ['a changed env list', cr([{ name: 'A', value: '1' }]), cr([{ name: 'A', value: '2' }]), ['spec.env']],
    [
      'bookkeeping and status are not changes',
      cr([]),
      { ...cr([]), metadata: { name: 'e', resourceVersion: '2' }, status: { x: 2 } },
      [],
    ],
    ['a new label', cr([]), cr([], { labels: { a: 'b' } }), ['metadata.labels']],
    ['created (nothing before)', undefined, cr([]), ['metadata', 'spec']],
  ])('%s', (_n, before, after, paths) => {
    expect(objectDiff(before as never, after as never).map((d) => d.path)).toEqual(paths);
  });

  it('shortens and masks values', () => {
    const d = objectDiff(cr('x'), cr(`API_KEY=nvapi-${'a'.repeat(300)}`));
    expect(d[0]!.after!.length).toBeLessThan(260);
    expect(d[0]!.after).not.toMatch(/nvapi-a{8}/);
  });
});

describe('lastWriter', () => {
  it('is the manager of the latest managedFields entry', () => {
    const obj = {
      metadata: {
        managedFields: [
          { manager: 'helm', operation: 'Apply', time: '2026-11-30T01:00:00Z' },
          { manager: 'k8s-nim-operator', operation: 'Update', time: '2026-11-30T02:00:00Z' },
        ],
      },
    };
    expect(lastWriter(obj)).toEqual({ manager: 'k8s-nim-operator', operation: 'Update', time: '2026-11-30T02:00:00Z' });
    expect(lastWriter({ metadata: {} })).toBeUndefined();
  });
});

describe('what the watch keeps of a Secret', () => {
  it('a changed value shows as a changed size, never as the value', async () => {
    const { observed } = await import('./monitor');
    const secret = (v: string) => ({
      metadata: { name: 'ngc-api', managedFields: [{ manager: 'helm', time: '2026-11-30T01:00:00Z' }] },
      data: { NGC_API_KEY: Buffer.from(v).toString('base64') },
    });
    const before = observed('secrets', secret('nvapi-old-value-123456'));
    const after = observed('secrets', secret('nvapi-new-longer-value-1234567890'));
    const diff = objectDiff(before, after);
    expect(diff).toEqual([{ path: 'keyBytes.NGC_API_KEY', before: '22', after: '33' }]);
    expect(JSON.stringify([before, after, diff])).not.toMatch(/nvapi|bnZhcGk/);
    expect(lastWriter(after)?.manager).toBe('helm');
  });
});

describe('objectDiff keeps no credential', () => {
  const cr = (env: Array<{ name: string; value: string }>) =>
    ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a' }, spec: { env } }) as KObject;
  it.each([
    ['an env pair named like a credential', [{ name: 'DB_PASS', value: 'ZZLEAK01' }]],
    ['an API token', [{ name: 'API_TOKEN', value: 'ZZLEAK02' }]],
    // Long lists are cut at 200 characters: masking comes first, so no half credential survives.
    [
      'a credential past the cut',
      [
        ...Array.from({ length: 6 }, (_, i) => ({ name: `PLAIN_${i}`, value: 'x'.repeat(20) })),
        { name: 'NGC_API_KEY', value: 'ZZLEAK03' },
      ],
    ],
    ['a URL with user:password', [{ name: 'ENTITY_STORE_URL', value: 'http://admin:ZZLEAK04@es:8000' }]],
  ])('%s', (_, env) => {
    const d = objectDiff(cr([]), cr(env));
    expect(d.length).toBeGreaterThan(0);
    expect(JSON.stringify(d)).not.toMatch(/ZZLEAK/);
  });
});
