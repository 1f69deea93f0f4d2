import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-EVSEC-001': {
    severity: 'error',
    title: 'no evaluator here',
    summary:
      'Neither the evaluator Deployment ({deployment}) nor its Role ({role}) exists in {namespace}; set evaluator.deployment / evaluator.role if they have other names',
    fix: 'Point evaluator.deployment and evaluator.role at the evaluator of this namespace.',
  },
  'FD-EVSEC-002': {
    severity: 'fail',
    title: "a RoleBinding names the operator's missing Role",
    summary:
      'RoleBinding {binding} binds {serviceAccount} to Role {role}, which does not exist: the evaluator lacks the rights the operator grants it',
    fix: "Recreate the operator's Role (the fix does), or restart the operator so it renders it again.",
  },
  'FD-EVSEC-003': {
    severity: 'fail',
    title: 'delete on secrets limited to named secrets',
    summary:
      "Role {role}'s delete on secrets covers only the secrets {names}: the evaluator deletes secrets with generated names, so evaluation jobs fail at cleanup{byRules}",
    fix: 'Grant delete on all secrets in a separate Role bound to the evaluator (the fix creates it).',
  },
  'FD-EVSEC-004': {
    severity: 'fail',
    title: 'delete granted but not bound',
    summary:
      'Role {role} grants delete on secrets, but the API server denies it to {serviceAccount}: check that a RoleBinding names this service account{byRules}',
    fix: "Bind the Role to the evaluator's service account.",
  },
  'FD-EVSEC-005': {
    severity: 'fail',
    title: 'no delete on secrets',
    summary:
      'Role {role} grants {verbs} on secrets but not delete: evaluation jobs fail at cleanup with "Failed to delete secret"{byRules}',
    fix: 'Grant delete on secrets in a separate Role bound to the evaluator (the fix creates it).',
  },
  'FD-EVSEC-006': {
    severity: 'fail',
    title: 'no rule on secrets',
    summary: 'No Role bound to {serviceAccount} has a rule on secrets: evaluation jobs fail at cleanup{byRules}',
    fix: 'Grant get, list, create and delete on secrets in a Role bound to the evaluator (the fix creates it).',
  },
});
