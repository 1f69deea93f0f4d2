import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-POD-001': {
    severity: 'fail',
    title: 'unhealthy workloads',
    summary: 'Unhealthy: {workloads}',
    fix: 'Read the evidence (waiting reason, last log lines); the fix restarts Deployments whose pods a restart can clear.',
  },
  'FD-POD-002': {
    severity: 'warn',
    title: 'pod warnings',
    summary: '{count} warning(s): {problems}',
    fix: 'Read the evidence for each pod named.',
  },
  'FD-POD-003': {
    severity: 'warn',
    title: 'no flywheel or NeMo pods',
    summary: 'No Data Flywheel or NeMo pods found in {namespace}',
    fix: 'Check --namespace, or install the blueprint and NeMo microservices here.',
  },
});
