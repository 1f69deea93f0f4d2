import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-GWUP-001': {
    severity: 'error',
    title: 'the gateway config cannot be read',
    summary: '{reason}',
    fix: 'Grant the doctor get on the ConfigMap, or set gateway.configMap / gateway.configKey.',
  },
  'FD-GWUP-002': {
    severity: 'skipped',
    title: 'the gateway proxies nothing',
    summary: 'The gateway proxies nothing: no upstreams to check',
    fix: 'Nothing to do.',
  },
  'FD-GWUP-003': {
    severity: 'fail',
    title: 'an upstream or the resolver is wrong',
    summary:
      'Proxied requests fail (502/504: "Unexpected response from Entity Store during namespace creation: 502"): {problems}',
    fix: 'Point the resolver at the cluster DNS and each upstream at a Service and port of this namespace (the fix does).',
  },
  'FD-GWUP-004': {
    severity: 'fail',
    title: 'a flywheel service does not answer through the gateway',
    summary: 'The gateway gets no answer from {services}: {symptoms}',
    fix: 'See why the service does not answer (its pods: check pod-health); restart the gateway if it predates the config.',
  },
  'FD-GWUP-005': {
    severity: 'warn',
    title: 'upstream warnings',
    summary: '{problems}',
    fix: 'Read the evidence for each upstream named.',
  },
  'FD-GWUP-006': {
    severity: 'fail',
    title: 'the Entity Store fails through a right config',
    summary:
      'The upstreams are configured right, yet GET /v1/namespaces through the gateway answers HTTP {status}: the running gateway may predate the config (restart it) or the Entity Store fails',
    fix: 'Restart the gateway (oc rollout restart deploy/nemo-gateway); if it persists, see the Entity Store pods.',
  },
  'FD-GWUP-007': {
    severity: 'warn',
    title: 'the cluster DNS Service was not found',
    summary:
      'Upstreams name existing Services, but the cluster DNS Service was not found ({services}), so the resolver could not be compared',
    fix: 'Set clusterDns.services to where the cluster DNS Service lives.',
  },
});
