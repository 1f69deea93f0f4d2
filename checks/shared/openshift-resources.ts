import { defineResources, type ResourceType } from '../../lib/k8s/resources';

// OpenShift's own API the checks read (security.openshift.io): SCCs decide pod admission there.
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    securitycontextconstraints: ResourceType;
  }
}

defineResources({
  securitycontextconstraints: {
    group: 'security.openshift.io',
    version: 'v1',
    plural: 'securitycontextconstraints',
    kind: 'SecurityContextConstraints',
    namespaced: false,
  },
});
