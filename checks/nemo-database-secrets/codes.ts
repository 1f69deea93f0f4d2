import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-DBSEC-001': {
    severity: 'skipped',
    title: 'no NeMo database Secrets',
    summary: 'No NeMo database Secrets ({pattern}) and no CR with databaseConfig in {namespace}',
    fix: 'Nothing to do: no NeMo service with a database is installed here.',
  },
  'FD-DBSEC-002': {
    severity: 'fail',
    title: "the operator cannot read a CR's database Secret",
    summary:
      "The NIM Operator cannot render {resource} ({problem}): changes to the CR never reach its Deployment, while the CR's status still says {state}",
    fix: 'Create the Secret that spec.databaseConfig.credentials names, with its password key.',
  },
  'FD-DBSEC-003': {
    severity: 'fail',
    title: 'service and database passwords differ',
    summary:
      'Secret {serviceSecret} holds a different password than {databaseSecret}: the {service} crashes right after wait-for-postgres with "password authentication failed"',
    fix: "Copy the password from the infra chart's PostgreSQL Secret into the service's Secret, then restart the service.",
  },
  'FD-DBSEC-004': {
    severity: 'warn',
    title: 'the operator reports a failed render',
    summary: 'The NIM Operator reports it failed to render {resource} after its last change: {message}',
    fix: "Read the operator's Event on the CR and its log; fix what it names.",
  },
  'FD-DBSEC-005': {
    severity: 'warn',
    title: "a service's database Secret is missing",
    summary:
      'Secret {databaseSecret} exists but {serviceSecret} does not: the NeMo instances chart creates it, and the {service} cannot reach its database without it',
    fix: 'Re-run the NeMo instances chart, or create the Secret with the password of the database Secret.',
  },
});
