import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-GWDM-001': {
    severity: 'error',
    title: 'the gateway or df-config cannot be read',
    summary: '{problems}',
    fix: 'Read the message: grant the doctor get on the ConfigMaps named, or set gateway.* / dataFlywheel.*.',
  },
  'FD-GWDM-002': {
    severity: 'skipped',
    title: 'df-config lists no NIMs',
    summary: '{configMap} lists no NIMs',
    fix: 'Nothing to do until df-config lists NIMs.',
  },
  'FD-GWDM-003': {
    severity: 'error',
    title: 'the gateway cannot be reached',
    summary:
      'Cannot reach the gateway at {url}: {error}. Outside the cluster set FD_SERVICE_URL_OVERRIDES={service}=http://<reachable address>',
    fix: 'Run in the cluster, or set FD_SERVICE_URL_OVERRIDES to a reachable gateway address.',
  },
  'FD-GWDM-004': {
    severity: 'fail',
    title: 'no deployment-management answer for a NIM',
    summary: 'Every NIM fails at spin-up: the flywheel gets no deployment-management answer for {failing}',
    fix: 'Add the deployment-management blocks for each NIM to the gateway config and restart it (the fix does).',
  },
});
