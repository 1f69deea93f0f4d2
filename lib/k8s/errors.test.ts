import { describe, expect, it } from 'vitest';
import { grantCommand, KubeApiError, type Attempt } from './errors';

const NS = 'flywheel';
const at = (verb: string, resource: string, group = '', name?: string): Attempt => ({
  verb,
  resource,
  group,
  namespace: NS,
  ...(name ? { name } : {}),
});

describe('grantCommand names a role that really grants what is missing', () => {
  it.each<[string, Attempt, string]>([
    ['reads view covers', at('list', 'pods'), `oc adm policy add-role-to-user view alice -n ${NS}`],
    ['deployments read', at('get', 'deployments', 'apps'), `oc adm policy add-role-to-user view alice -n ${NS}`],
    // The built-in view role excludes Secrets: edit reads them.
    ['secrets read (not in view)', at('list', 'secrets'), `oc adm policy add-role-to-user edit alice -n ${NS}`],
    // Neither view nor edit covers RBAC objects.
    [
      'rolebindings read (not in view)',
      at('list', 'rolebindings', 'rbac.authorization.k8s.io'),
      `oc adm policy add-role-to-user admin alice -n ${NS}`,
    ],
    [
      'roles patch',
      at('patch', 'roles', 'rbac.authorization.k8s.io'),
      `oc adm policy add-role-to-user admin alice -n ${NS}`,
    ],
    ['configmap patch', at('patch', 'configmaps'), `oc adm policy add-role-to-user edit alice -n ${NS}`],
    [
      'custom resources: a Role of their own',
      at('list', 'nemoevaluators', 'apps.nvidia.com'),
      `oc create role flywheel-doctor-list-nemoevaluators.apps.nvidia.com --verb=list --resource=nemoevaluators.apps.nvidia.com -n ${NS} && oc adm policy add-role-to-user flywheel-doctor-list-nemoevaluators.apps.nvidia.com alice --role-namespace=${NS} -n ${NS}`,
    ],
    [
      'leases: not in any built-in role',
      at('update', 'leases', 'coordination.k8s.io'),
      `oc create role flywheel-doctor-update-leases.coordination.k8s.io --verb=update --resource=leases.coordination.k8s.io -n ${NS} && oc adm policy add-role-to-user flywheel-doctor-update-leases.coordination.k8s.io alice --role-namespace=${NS} -n ${NS}`,
    ],
    [
      'a named object',
      at('create', 'services/proxy', '', 'nemo-gateway'),
      `oc create role flywheel-doctor-create-services-proxy --verb=create --resource=services/proxy --resource-name=nemo-gateway -n ${NS} && oc adm policy add-role-to-user flywheel-doctor-create-services-proxy alice --role-namespace=${NS} -n ${NS}`,
    ],
    [
      'cluster-scoped read',
      { verb: 'get', resource: 'namespaces', group: '' },
      'oc adm policy add-cluster-role-to-user cluster-reader alice',
    ],
  ])('%s', (_, attempt, want) => {
    expect(grantCommand(attempt, 'alice')).toBe(want);
  });
});

describe('a 403 says its real cause: only RBAC refusals ask for a role', () => {
  const create = { verb: 'create', group: '', resource: 'configmaps', namespace: 'flywheel', user: 'alice' };
  it.each<[string, number, string, RegExp]>([
    [
      'a Terminating namespace',
      403,
      'configmaps "x" is forbidden: unable to create new content in namespace flywheel because it is being terminated',
      /namespace flywheel is being deleted \(Terminating\)/,
    ],
    [
      'a full quota',
      403,
      'configmaps "x" is forbidden: exceeded quota: cm-quota, requested: count/configmaps=1, used: count/configmaps=5, limited: count/configmaps=5',
      /ResourceQuota in flywheel is full \(a quota, not RBAC\)/,
    ],
    [
      'an admission webhook',
      400,
      'admission webhook "validate.example.com" denied the request: label team is required',
      /admission webhook refused the change, not RBAC/,
    ],
    [
      'pod security',
      403,
      'pods "p" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true',
      /pod security admission refused the pod/,
    ],
    [
      'RBAC',
      403,
      'configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "flywheel"',
      /missing permission: create configmaps in namespace flywheel\. An admin can grant it with: oc adm policy add-role-to-user edit alice -n flywheel/,
    ],
  ])('%s', (_what, status, message, hint) => {
    const err = new KubeApiError(status, 'Forbidden', message, create);
    expect(err.message).toMatch(hint);
    if (!/^RBAC/.test(_what)) expect(err.message).not.toMatch(/missing permission|add-role-to-user/);
  });
});
