import { describe, expect, it } from 'vitest';
import { parseServiceHost } from './names';

describe('parseServiceHost', () => {
  it.each([
    ['nemo-gateway', { service: 'nemo-gateway', namespace: undefined, svc: false }],
    ['nemo-gateway.flywheel', { service: 'nemo-gateway', namespace: 'flywheel', svc: false }],
    ['nemo-gateway.flywheel.svc', { service: 'nemo-gateway', namespace: 'flywheel', svc: true }],
    ['es.flywheel.svc.cluster.local', { service: 'es', namespace: 'flywheel', svc: true }],
    ['api.example.com', undefined],
    ['10.0.0.1', undefined],
  ])('%s', (host, want) => expect(parseServiceHost(host)).toEqual(want));
});
