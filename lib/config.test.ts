import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema, loadConfig, serviceBaseUrl } from './config';
import { parseOverrides } from './config-input';

const schema = configSchema({ widget: z.object({ name: z.string().default('w') }).prefault({}) });

describe('config', () => {
  it('defaults the engine settings and every declared section', () => {
    const c = loadConfig(schema, {}, {});
    expect(c.namespace).toBe('flywheel');
    expect(c.widget).toEqual({ name: 'w' });
  });
  it('reads env overrides and reports malformed ones', () => {
    expect(
      loadConfig(schema, {}, { FD_SERVICE_URL_OVERRIDES: 'nemo-gateway=http://127.0.0.1:18080' }).serviceUrlOverrides[
        'nemo-gateway'
      ],
    ).toBe('http://127.0.0.1:18080');
    expect(() => parseOverrides('oops', 'X')).toThrow(/"oops" is not NAME=VALUE/);
    expect(() => loadConfig(schema, {}, { FD_CONFIG: '{bad' })).toThrow(/FD_CONFIG is not valid JSON/);
    expect(() => loadConfig(schema, { namespace: 'Bad_NS' }, {})).toThrow(/namespace/);
    expect(() => loadConfig(schema, { namespace: 'a'.repeat(64) }, {})).toThrow(/at most 63/);
    expect(() => loadConfig(schema, { widget: { name: 3 } }, {})).toThrow(/widget\.name/);
  });
  it('takes defaults below FD_CONFIG below explicit values', () => {
    expect(loadConfig(schema, {}, {}, { namespace: 'ctx' }).namespace).toBe('ctx');
    expect(loadConfig(schema, {}, { FD_CONFIG: '{"namespace":"file"}' }, { namespace: 'ctx' }).namespace).toBe('file');
    expect(loadConfig(schema, { namespace: 'flag' }, { FD_CONFIG: '{"namespace":"file"}' }).namespace).toBe('flag');
  });
  it('builds in-cluster service URLs unless overridden', () => {
    expect(serviceBaseUrl(loadConfig(schema, { namespace: 'a' }, {}), 'nemo-gateway')).toBe(
      'http://nemo-gateway.a.svc',
    );
  });
});
