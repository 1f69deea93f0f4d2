import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-GPU-001': {
    severity: 'skipped',
    title: 'no GPU nodes',
    summary: 'No node offers GPUs to this cluster (nvidia.com/gpu)',
    fix: 'Nothing to do here: add GPU nodes (the GPU Operator labels them).',
  },
  'FD-GPU-002': {
    severity: 'fail',
    title: 'pods Pending on untolerated GPU taints',
    summary: '{count} pod(s) Pending with "untolerated taint": {cause}',
    fix: "Add the GPU nodes' taints to the CR's tolerations (the fix does), then recreate the Pending pods.",
  },
  'FD-GPU-003': {
    severity: 'warn',
    title: 'pods from before the tolerations stay Pending',
    summary:
      'The resources tolerate the GPU nodes now, but {pods} were created before and stay Pending until recreated',
    fix: 'Delete the Pending pods (or the training job) so they are created again with the tolerations.',
  },
  'FD-GPU-004': {
    severity: 'warn',
    title: "a resource does not tolerate the GPU nodes' taints",
    summary:
      '{resources} would not be scheduled on a GPU node (untolerated {taints}): the next pod it starts stays Pending',
    fix: "Add the GPU nodes' taints to the CR's tolerations (the fix does).",
  },
});
