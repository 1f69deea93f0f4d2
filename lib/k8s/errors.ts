import { qualifiedResource } from './resources';

/** What was attempted when the API answered with an error; used to explain the failure. */
export interface Attempt {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  user?: string;
}

/**
 * An error answer from the Kubernetes API, with the Status reason kept and a message a person
 * can act on (for 403s: the missing permission and the `oc adm policy` command an admin runs).
 */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly apiMessage: string;
  readonly attempt?: Attempt;
  readonly hint: string;

  constructor(status: number, reason: string, apiMessage: string, attempt?: Attempt) {
    const hint = hintFor(status, reason, apiMessage, attempt);
    super(`${apiMessage || reason || `HTTP ${status}`}${hint ? ` — ${hint}` : ''}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.apiMessage = apiMessage;
    this.attempt = attempt;
    this.hint = hint;
  }

  get isForbidden() {
    return this.status === 403;
  }
  get isNotFound() {
    return this.status === 404;
  }
  get isConflict() {
    return this.status === 409;
  }
}

/** The RBAC permission needed for an attempt, spelled the way `oc`/`kubectl auth can-i` spells it. */
export function permissionText(a: Attempt): string {
  const res = qualifiedResource({ group: a.group, plural: a.resource });
  const scc = a.resource === 'securitycontextconstraints';
  return `${a.verb} ${res}${a.name ? ` "${a.name}"` : ''}${scc ? '' : a.namespace ? ` in namespace ${a.namespace}` : ' (cluster-wide)'}`;
}

/**
 * What the built-in namespaced roles grant, as "group|resource": `view` reads no Secrets and no RBAC
 * objects, `edit` writes no RBAC objects, and neither covers coordination Leases or the operators'
 * custom resources unless the operator aggregates them (not assumed). What they do not cover gets a
 * Role of its own, so the advice always grants what is missing.
 */
const VIEW_READS = new Set([
  '|pods',
  '|pods/log',
  '|configmaps',
  '|services',
  '|endpoints',
  '|persistentvolumeclaims',
  '|events',
  'apps|deployments',
  'apps|replicasets',
  'apps|statefulsets',
  'batch|jobs',
]);
const EDIT_EXTRA = new Set(['|secrets', '|pods/exec', '|serviceaccounts']);
const ADMIN_EXTRA = new Set(['rbac.authorization.k8s.io|roles', 'rbac.authorization.k8s.io|rolebindings']);
const READS = ['get', 'list', 'watch'];

/** The built-in role (view, edit, admin) that grants the attempt in a namespace, if one does. */
export function builtinRoleFor(a: Pick<Attempt, 'group' | 'resource' | 'verb'>): 'view' | 'edit' | 'admin' | undefined {
  const key = `${a.group ?? ''}|${a.resource}`;
  const read = READS.includes(a.verb);
  if (ADMIN_EXTRA.has(key)) return 'admin';
  if (read && VIEW_READS.has(key)) return 'view';
  if (VIEW_READS.has(key) || EDIT_EXTRA.has(key))
    return a.verb === 'bind' || a.verb === 'escalate' ? undefined : 'edit';
  return undefined;
}

/** The command an admin runs to grant the attempt's permission to a user. */
export function grantCommand(a: Attempt, user = '<user>'): string {
  const writes = ['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind'];
  const isServiceAccount = user.startsWith('system:serviceaccount:');
  const subject = isServiceAccount ? `-z ${user.split(':')[3]}` : user;
  if (a.resource === 'securitycontextconstraints' && a.verb === 'use')
    return `oc adm policy add-scc-to-user ${a.name ?? '<scc>'} ${subject}${isServiceAccount && a.namespace ? ` -n ${a.namespace}` : ''}`;
  if (!a.namespace) {
    return `oc adm policy add-cluster-role-to-user ${writes.includes(a.verb) ? 'cluster-admin' : 'cluster-reader'} ${isServiceAccount ? user : subject}`;
  }
  const role = builtinRoleFor(a);
  if (role) return `oc adm policy add-role-to-user ${role} ${subject} -n ${a.namespace}`;
  // No built-in role grants it: a Role with exactly this rule, then the binding.
  const res = qualifiedResource({ group: a.group, plural: a.resource });
  const name = `flywheel-doctor-${a.verb}-${res}`.replace(/[^a-z0-9.-]/g, '-').slice(0, 63);
  return `oc create role ${name} --verb=${a.verb} --resource=${res}${a.name ? ` --resource-name=${a.name}` : ''} -n ${a.namespace} && oc adm policy add-role-to-user ${name} ${subject} --role-namespace=${a.namespace} -n ${a.namespace}`;
}

/**
 * Why the API refused a request that RBAC may well allow: a 403 is also what a Terminating
 * namespace, a full ResourceQuota, an admission webhook and pod security answer, each with its own
 * remedy. Undefined when the refusal is RBAC's (or unknown).
 */
export function refusalCause(status: number, message: string, a?: Pick<Attempt, 'namespace'>): string | undefined {
  const ns = a?.namespace ?? (message.match(/namespace "?([a-z0-9-]+)"?/)?.[1] || '<namespace>');
  if (/because it is being terminated|namespace .* is terminating/i.test(message))
    return `namespace ${ns} is being deleted (Terminating): nothing new can be created in it, whatever the permissions. Wait until it is gone and install again, or see what holds the deletion: oc get namespace ${ns} -o jsonpath='{.status.conditions}'`;
  if (/exceeded quota/i.test(message))
    return `a ResourceQuota in ${ns} is full (a quota, not RBAC): see which with oc describe resourcequota -n ${ns}, then free some (delete what is no longer needed) or have an admin raise the quota`;
  if (/admission webhook .* denied/i.test(message))
    return 'an admission webhook refused the change, not RBAC: its message above says why; ask whoever runs that webhook, or change what it objects to';
  if (/violates PodSecurity|unable to validate against any security context constraint/i.test(message))
    return "pod security admission refused the pod, not RBAC: the namespace's pod security level or the user's SCCs do not allow it (oc get pod -o yaml shows the pod's securityContext; an admin can grant an SCC)";
  if (status === 403 && /is forbidden: .*(limit|quota)/i.test(message))
    return `a LimitRange or quota in ${ns} refused it: oc describe limitrange,resourcequota -n ${ns}`;
  return undefined;
}

function hintFor(status: number, reason: string, message: string, a?: Attempt): string {
  const cause = status === 403 || status === 400 || status === 422 ? refusalCause(status, message, a) : undefined;
  if (cause) return cause;
  if (status === 403 && a) {
    if (/escalat|not currently held/i.test(message)) {
      const missing = (message.split(/not currently held:?/)[1] ?? '')
        .trim()
        .split('\n')
        .filter(Boolean)
        .slice(0, 5)
        .join(' ');
      const scc = /securitycontextconstraints/.test(missing)
        ? ` For SCC rules: oc adm policy add-scc-to-user <scc> ${a.user ?? '<user>'}.`
        : '';
      return `RBAC escalation prevention: whoever changes a Role must already hold every permission the resulting Role grants${missing ? `; not held: ${missing}` : ''}. Apply it as a user who holds them (for example a cluster admin), or have them granted.${scc}`;
    }
    return `missing permission: ${permissionText(a)}. An admin can grant it with: ${grantCommand(a, a.user)}`;
  }
  if (status === 401)
    return 'the credentials were rejected: log in again (oc login) or check the kubeconfig/service account token';
  if (status === 404 && a)
    return `${qualifiedResource({ group: a.group, plural: a.resource })}${a.name ? ` "${a.name}"` : ''} not found${a.namespace ? ` in namespace ${a.namespace}` : ''}: check the namespace and resource names in the configuration`;
  if (status === 409) return 'the object changed since it was read; re-run the check and review the new plan';
  if (status === 422) return 'the API rejected the change as invalid';
  if (status === 0) return message.includes(reason) ? '' : reason; // said once
  return '';
}

/** Turns any thrown value into a one-line message that never includes a stack trace. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
