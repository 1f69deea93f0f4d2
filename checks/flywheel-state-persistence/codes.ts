import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-STATE-001': {
    severity: 'skipped',
    title: "none of the flywheel's stores is deployed",
    summary:
      "None of the flywheel's stores ({deployments}) is deployed here; set flywheelState.stores if they have other names",
    fix: 'Set flywheelState.stores to the Deployments of your MongoDB, Elasticsearch and Redis.',
  },
  'FD-STATE-002': {
    severity: 'warn',
    title: 'a store keeps data a restart loses',
    summary: '{stores}: flywheel history is gone and runs stay stuck after {their} pod is replaced',
    fix: "Mount a PersistentVolumeClaim at the store's data path (the chart's persistence values).",
  },
  'FD-STATE-003': {
    severity: 'warn',
    title: "a store keeps data on a node's disk",
    summary: "{stores} keep data on a node's disk (hostPath): it survives only while the pod is scheduled there",
    fix: 'Use a PersistentVolumeClaim instead of hostPath.',
  },
});
