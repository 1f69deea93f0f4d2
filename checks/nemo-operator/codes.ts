import { defineCodes } from '../../lib/engine/codes';

// Failures are reported together after "Customization jobs will never train: ", the first one's code leading.
export const codes = defineCodes({
  'FD-NOP-001': {
    severity: 'skipped',
    title: 'no Customizer',
    summary: 'No Customizer here (Deployment {deployment}): nothing runs training jobs',
    fix: 'Nothing to do.',
  },
  'FD-NOP-002': {
    severity: 'error',
    title: 'the training job CRD cannot be read',
    summary: 'Cannot read CRD {crd}: {error}',
    fix: 'Grant the doctor get on customresourcedefinitions (deploy/base/rbac.yaml).',
  },
  'FD-NOP-003': {
    severity: 'fail',
    title: 'the training job CRD is not installed',
    summary: 'CRD {crd} is not installed',
    fix: 'Install the NeMo operator (the NeMo dependencies chart), which brings the CRD.',
  },
  'FD-NOP-004': {
    severity: 'fail',
    title: 'the training job CRD is not Established',
    summary: 'CRD {crd} is not Established',
    fix: 'oc describe crd <crd> shows why (usually a conflicting name or a bad schema).',
  },
  'FD-NOP-005': {
    severity: 'fail',
    title: 'the NeMo operator is not deployed here',
    summary: 'the NeMo operator Deployment ({deployment}) is not in this namespace',
    fix: 'Install the NeMo operator, or set nemoOperator.deployment.',
  },
  'FD-NOP-006': {
    severity: 'fail',
    title: 'the NeMo operator is not available',
    summary: 'the NeMo operator Deployment {deployment} is not available ({rollout})',
    fix: 'See why its pod is not ready (check pod-health).',
  },
});
