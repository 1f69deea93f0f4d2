// evaluator-init-image: the init container (the subject) and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import type { ConfigOf } from '../../lib/config';
import { show } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { rolloutState } from '../../lib/k8s/wait';
import { EvaluatorSection, resolveEvaluator, type Container, type EvaluatorRefs } from '../shared/evaluator';
import { EVALUATOR_IMAGE_ENV, EVAL_CONTAINER_ENV, EvaluatorInitSection, migrationVariable } from './version';

export const sections = { evaluator: EvaluatorSection, evaluatorInit: EvaluatorInitSection };
export type Config = ConfigOf<typeof sections>;

export interface InitSubject extends EvaluatorRefs {
  /** The init container found by name (never by position: it is the second, after wait-for-postgres). */
  init?: Container & { image?: string };
  initIndex: number;
  /** The image the evaluator runs: the CR's repository:tag, else the main container's image. */
  image?: string;
  /** Init-container waiting reasons of the evaluator's pods (CrashLoopBackOff while it is missing). */
  podStates: string[];
}

export function locateInitSubject(snapshot: Snapshot, config: Config): InitSubject {
  const ev = resolveEvaluator(config, snapshot, { withCr: true });
  const inits = (ev.deployment?.spec?.template?.spec?.initContainers ?? []) as Container[];
  const initIndex = inits.findIndex((c) => c.name === config.evaluatorInit.initContainer);
  const crImage = ev.cr?.spec?.image;
  const image =
    crImage?.repository && crImage?.tag
      ? `${crImage.repository}:${crImage.tag}`
      : ((ev.container as (Container & { image?: string }) | undefined)?.image ?? undefined);
  const podStates = snapshot
    .list('pods')
    .filter((p) => p.metadata?.name?.startsWith(`${ev.deploymentName}-`))
    .flatMap((p) =>
      ((p.status?.initContainerStatuses ?? []) as Array<{ name: string; state?: { waiting?: { reason?: string } } }>)
        .filter((s) => s.name === config.evaluatorInit.initContainer && s.state?.waiting?.reason)
        .map((s) => `${p.metadata?.name}: Init:${s.state!.waiting!.reason}`),
    );
  return { ...ev, init: inits[initIndex], initIndex, image, podStates };
}

export const envValue = (c: Container | undefined, name = EVALUATOR_IMAGE_ENV) =>
  [...(c?.env ?? [])].reverse().find((e) => e.name === name)?.value;

export function judgeInit(s: InitSubject, config: Config): Finding {
  const name = config.evaluatorInit.initContainer;
  if (!s.deployment)
    return coded(
      codes,
      'FD-EVINIT-001',
      { deployment: s.deploymentName, namespace: config.namespace },
      { evidence: [] },
    );
  if (!s.init)
    return coded(codes, 'FD-EVINIT-002', { deployment: s.deploymentName, initContainer: name }, { evidence: [] });
  const value = envValue(s.init);
  const evidence: Evidence[] = [
    {
      label: `init container ${name}`,
      value: `position ${s.initIndex + 1} of ${s.deployment.spec.template.spec.initContainers.length}`,
    },
    { label: `${EVALUATOR_IMAGE_ENV}`, value: show(value), tone: value ? 'good' : 'bad' },
    { label: 'Evaluator image', value: s.image ?? '(unknown)' },
  ];
  for (const st of s.podStates) evidence.push({ label: 'Pod', value: st, tone: 'bad' });
  const band = migrationVariable(s.image, config.evaluatorInit.evaluatorImageFrom);
  if (!value && 'reads' in band && band.reads === EVAL_CONTAINER_ENV) {
    // An evaluator before the band reads EVAL_CONTAINER, which the operator renders: nothing to add.
    const evalContainer = envValue(s.init, EVAL_CONTAINER_ENV);
    evidence.push({ label: 'Evaluator version', value: band.band });
    evidence.push({ label: EVAL_CONTAINER_ENV, value: show(evalContainer), tone: evalContainer ? 'good' : 'bad' });
    return s.podStates.length === 0
      ? {
          status: 'pass',
          summary: `Evaluator ${band.band} reads ${EVAL_CONTAINER_ENV}, not ${EVALUATOR_IMAGE_ENV}: the init container ${name} needs no ${EVALUATOR_IMAGE_ENV}`,
          evidence,
        }
      : coded(codes, 'FD-EVINIT-003', { initContainer: name, band: band.band }, { evidence });
  }
  if (!value && 'unknown' in band && s.podStates.length === 0) {
    evidence.push({ label: 'Evaluator version', value: `cannot be told: ${band.unknown}`, tone: 'bad' });
    const from = config.evaluatorInit.evaluatorImageFrom;
    return coded(
      codes,
      'FD-EVINIT-004',
      { initContainer: name, from, why: band.unknown },
      {
        evidence,
        rootCause: `Set evaluatorInit.evaluatorImageFrom or pin the evaluator to a calendar tag; if its pod goes to Init:CrashLoopBackOff, this check fails and offers the fix.`,
      },
    );
  }
  if (!value)
    return coded(
      codes,
      'FD-EVINIT-005',
      { initContainer: name },
      {
        evidence,
        rootCause: s.cr
          ? `NIM Operator 3.0.x-3.1.x does not pass NemoEvaluator spec.env to init containers, and evaluator 25.12 needs ${EVALUATOR_IMAGE_ENV} there. The env can only live on the Deployment, where every operator re-render (any change to the CR, any NeMo redeploy) drops it again.`
          : undefined,
      },
    );
  if (s.image && value !== s.image)
    return coded(codes, 'FD-EVINIT-006', { initContainer: name, value, image: s.image }, { evidence });
  const rollout = rolloutState(s.deployment);
  if (!rollout.done) return coded(codes, 'FD-EVINIT-007', { rollout: rollout.message }, { evidence });
  return { status: 'pass', summary: `The init container ${name} has ${EVALUATOR_IMAGE_ENV}=${value}`, evidence };
}

export interface InitPlanData {
  ops: JsonPatchOp[];
  value: string;
}

export const carried = (d: KObject, config: Config) =>
  envValue(
    ((d.spec?.template?.spec?.initContainers ?? []) as Container[]).find(
      (c) => c.name === config.evaluatorInit.initContainer,
    ),
  );
