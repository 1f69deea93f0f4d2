import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-SCC-001': {
    severity: 'skipped',
    title: 'no Customizer',
    summary: 'No Customizer here (Deployment {deployment}): no training pods to admit',
    fix: 'Nothing to do: the check applies once the Customizer is installed.',
  },
  'FD-SCC-002': {
    severity: 'error',
    title: 'the SCC cannot be read',
    summary: 'Cannot check SCC {scc}: {error}',
    fix: 'Grant the doctor get on securitycontextconstraints and create on subjectaccessreviews (deploy/base/rbac.yaml).',
  },
  'FD-SCC-003': {
    severity: 'skipped',
    title: 'not OpenShift',
    summary: 'Not OpenShift (no SecurityContextConstraints API): pod admission is not decided by SCCs here',
    fix: 'Nothing to do: SCCs exist only on OpenShift.',
  },
  'FD-SCC-004': {
    severity: 'fail',
    title: 'the Customizer SCC does not exist',
    summary:
      'SCC {scc} does not exist: training and entity-handler pods are refused at admission (the OpenShift port creates it with the Customizer)',
    fix: "Create the SCC from the OpenShift port's Customizer manifests, then grant it to the service accounts.",
  },
  'FD-SCC-005': {
    severity: 'fail',
    title: 'a service account may not use the SCC',
    summary: '{accounts} may not use SCC {scc}: training and entity-handler pods are refused at admission',
    fix: 'oc adm policy add-scc-to-user <scc> -z <service account> for each account named.',
  },
});
