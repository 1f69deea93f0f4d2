import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-EVINIT-001': {
    severity: 'skipped',
    title: 'no evaluator Deployment',
    summary: 'No evaluator Deployment ({deployment}) in {namespace}',
    fix: 'Nothing to do here; set evaluator.deployment if the evaluator has another name.',
  },
  'FD-EVINIT-002': {
    severity: 'skipped',
    title: 'no migration init container',
    summary:
      'Deployment {deployment} has no init container {initContainer} (evaluators before 25.12 do not migrate at start)',
    fix: 'Nothing to do: this evaluator runs no migration at start.',
  },
  'FD-EVINIT-003': {
    severity: 'warn',
    title: 'the init container fails for another reason',
    summary:
      'The init container {initContainer} is failing, but evaluator {band} does not read EVALUATOR_IMAGE: read its log for the cause',
    fix: 'oc logs deploy/<evaluator> -c <init container> and fix what it says (often the database: check nemo-database-secrets).',
  },
  'FD-EVINIT-004': {
    severity: 'warn',
    title: "the evaluator's version cannot be told",
    summary:
      "The init container {initContainer} has no EVALUATOR_IMAGE; evaluators from {from} need it, but this one's version cannot be told ({why})",
    fix: 'Set evaluatorInit.evaluatorImageFrom, or pin the evaluator image to a calendar tag.',
  },
  'FD-EVINIT-005': {
    severity: 'fail',
    title: 'EVALUATOR_IMAGE missing on the init container',
    summary:
      'The evaluator\'s init container {initContainer} has no EVALUATOR_IMAGE: it exits with "Environment variable EVALUATOR_IMAGE is not set" and the evaluator pod stays in Init:CrashLoopBackOff',
    fix: "Add EVALUATOR_IMAGE (the evaluator's own image) to the init container's env (the fix does; again after each re-render).",
  },
  'FD-EVINIT-006': {
    severity: 'warn',
    title: 'EVALUATOR_IMAGE names another image',
    summary:
      'EVALUATOR_IMAGE in {initContainer} is {value}, but the evaluator runs {image}: migrations may run for another version',
    fix: "Set EVALUATOR_IMAGE to the evaluator's own image (the fix does).",
  },
  'FD-EVINIT-007': {
    severity: 'warn',
    title: 'the rollout carrying EVALUATOR_IMAGE is not complete',
    summary: 'EVALUATOR_IMAGE is set; the rollout that carries it is not complete ({rollout})',
    fix: 'Wait for the rollout, or see why its pods do not become ready (check pod-health).',
  },
});
