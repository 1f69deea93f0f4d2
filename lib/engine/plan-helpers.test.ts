import { describe, expect, it } from 'vitest';
import { guardFor, restartPatch } from './plan-helpers';

describe('guardFor', () => {
  it('guards objects with a spec generation on it, so controller status updates are not conflicts', () => {
    const d = { metadata: { name: 'd', namespace: 'ns', generation: 4, resourceVersion: '991' } };
    expect(guardFor('Deployment', d)).toEqual({
      guard: { target: 'Deployment ns/d', field: 'generation', value: '4' },
      test: { op: 'test', path: '/metadata/generation', value: 4 },
    });
  });
  it('guards objects without a generation (Roles, ConfigMaps) on resourceVersion', () => {
    expect(guardFor('Role', { metadata: { name: 'r', namespace: 'ns', resourceVersion: '55' } }).test).toEqual({
      op: 'test',
      path: '/metadata/resourceVersion',
      value: '55',
    });
  });
});

describe('restartPatch', () => {
  it('creates the annotations map when the template has none, like kubectl rollout restart', () => {
    const ops = restartPatch({ metadata: { generation: 2 }, spec: { template: { spec: {} } } }, 'T');
    expect(ops).toEqual([
      { op: 'test', path: '/metadata/generation', value: 2 },
      { op: 'add', path: '/spec/template/metadata', value: {} },
      { op: 'add', path: '/spec/template/metadata/annotations', value: {} },
      { op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: 'T' },
    ]);
  });
});
