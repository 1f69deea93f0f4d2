import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-SYNC-001': {
    severity: 'skipped',
    title: 'nothing to ask',
    summary: 'Nothing to ask: {reason}',
    fix: 'Nothing to do until df-config names a nim_base_url and NIMs.',
  },
  'FD-SYNC-002': {
    severity: 'fail',
    title: "nim_base_url's port is not one the Service has",
    summary: 'The flywheel cannot reach its NIM proxy at {url}: {problem}; every NIM spin-up waits an hour, then fails',
    fix: "Set nim_base_url in df-config to a port the NIM proxy's Service exposes.",
  },
  'FD-SYNC-003': {
    severity: 'error',
    title: 'the NIM proxy cannot be asked from here',
    summary: 'Cannot ask the NIM proxy from here: {reason}',
    fix: 'Outside the cluster set FD_SERVICE_URL_OVERRIDES=<service>=http://<reachable address>.',
  },
  'FD-SYNC-004': {
    severity: 'fail',
    title: 'the NIM proxy does not list models',
    summary:
      'The NIM proxy at {url} does not list its models ({problem}): the flywheel waits an hour per NIM, then fails with "did not sync within 3600 second"',
    fix: 'Make the NIM proxy answer GET /v1/models (its pods, its Service); see check pod-health.',
  },
  'FD-SYNC-005': {
    severity: 'fail',
    title: 'a configured NIM is not listed',
    summary:
      '{models} not listed by the NIM proxy at {url} (it lists {listed}): the flywheel waits up to an hour for it to appear, then fails with "Model {first} did not sync within 3600 second"',
    fix: 'Deploy the NIM (NIMService) or correct nims[].model_name in df-config to an id the proxy lists.',
  },
});
