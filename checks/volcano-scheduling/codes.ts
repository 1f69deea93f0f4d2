import { defineCodes } from '../../lib/engine/codes';

// Failures are reported together after "Training stays at 0 %: ", the first one's code leading.
export const codes = defineCodes({
  'FD-VOL-001': {
    severity: 'skipped',
    title: 'nothing scheduled by Volcano',
    summary: 'No Customizer and no PodGroups here: nothing is scheduled by Volcano',
    fix: 'Nothing to do.',
  },
  'FD-VOL-002': {
    severity: 'error',
    title: 'the Volcano Queue cannot be read',
    summary: 'Cannot read Volcano Queue {queue}: {error}',
    fix: 'Grant the doctor get on queues.scheduling.volcano.sh (deploy/base/rbac.yaml).',
  },
  'FD-VOL-003': {
    severity: 'fail',
    title: 'Volcano is not installed',
    summary: 'Volcano is not installed (no PodGroup API): customization jobs never get pods',
    fix: 'Install Volcano (the NeMo dependencies chart does).',
  },
  'FD-VOL-004': {
    severity: 'fail',
    title: 'the Volcano Queue is missing',
    summary: 'Volcano Queue {queue} does not exist',
    fix: 'Create the Queue (the fix does).',
  },
  'FD-VOL-005': {
    severity: 'fail',
    title: 'the Volcano Queue is not Open',
    summary: 'Volcano Queue {queue} is {state}, not Open',
    fix: 'Open the Queue (vcctl queue operate --name <queue> --action open).',
  },
  'FD-VOL-006': {
    severity: 'fail',
    title: 'a Volcano controller is missing',
    summary: 'the Volcano {controller} Deployment is not in {namespace}',
    fix: 'Reinstall Volcano so its scheduler and controllers run.',
  },
  'FD-VOL-007': {
    severity: 'fail',
    title: 'a Volcano controller has no ready pod',
    summary: 'the Volcano {controller} has no ready pod',
    fix: 'See why its pod is not ready (oc get pods -n <volcano namespace>).',
  },
  'FD-VOL-008': {
    severity: 'fail',
    title: 'PodGroups stuck',
    summary: 'PodGroups stuck: {podGroups}',
    fix: "Read each PodGroup's conditions: usually the queue's capacity or GPUs nobody offers.",
  },
  'FD-VOL-009': {
    severity: 'fail',
    title: 'Volcano pods without a PodGroup',
    summary: '{count} pod(s) for the Volcano scheduler name no PodGroup ({annotation}): it never binds them',
    fix: 'Delete the pods so their job recreates them through Volcano with the annotation.',
  },
});
