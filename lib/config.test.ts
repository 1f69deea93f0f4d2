import { describe, expect, it } from 'vitest';
import { loadConfig, parseOverrides, serviceBaseUrl } from './config';

describe('config', () => {
  it('defaults to the NIM Operator names', () => {
    const c = loadConfig({}, {});
    expect(c.namespace).toBe('flywheel');
    expect(c.evaluator.crName).toBe('nemoevaluator-sample');
    expect(c.models.pvc).toBe('finetuning-ms-models-pvc');
  });
  it('reads env overrides and reports malformed ones', () => {
    expect(loadConfig({}, { FD_SERVICE_URL_OVERRIDES: 'nemo-gateway=http://127.0.0.1:18080' }).serviceUrlOverrides['nemo-gateway']).toBe('http://127.0.0.1:18080');
    expect(() => parseOverrides('oops', 'X')).toThrow(/"oops" is not NAME=VALUE/);
    expect(() => loadConfig({}, { FD_CONFIG: '{bad' })).toThrow(/FD_CONFIG is not valid JSON/);
    expect(() => loadConfig({ namespace: 'Bad_NS' }, {})).toThrow(/namespace/);
  });
  it('builds in-cluster service URLs unless overridden', () => {
    expect(serviceBaseUrl(loadConfig({ namespace: 'a' }, {}), 'nemo-gateway')).toBe('http://nemo-gateway.a.svc');
  });
});
