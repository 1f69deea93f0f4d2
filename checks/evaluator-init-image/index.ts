import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { guardFor, show, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState, waitForRollout } from '../../lib/k8s/wait';
import {
  envVarPatch,
  EvaluatorSection,
  resolveEvaluator,
  type Container,
  type EvaluatorRefs,
} from '../shared/evaluator';

export const EVALUATOR_IMAGE_ENV = 'EVALUATOR_IMAGE';
/** What the NIM Operator (3.0.x-3.1.x) sets on the migration container for every evaluator tag. */
export const EVAL_CONTAINER_ENV = 'EVAL_CONTAINER';

/**
 * The evaluator's database migration init container, and the first evaluator version (calendar
 * YY.MM, as its image tags) whose migration reads EVALUATOR_IMAGE: 25.12 (real-stack.md). Earlier
 * evaluators were written against what the operator renders (EVAL_CONTAINER).
 */
export const EvaluatorInitSection = z
  .object({
    initContainer: z.string().default('evaluator-db-migration'),
    evaluatorImageFrom: z
      .string()
      .regex(/^\d{2}\.\d{2}$/, 'a calendar version YY.MM, as in evaluator image tags (25.12)')
      .default('25.12'),
  })
  .prefault({});

/** An evaluator image tag's calendar version (25.12, v25.12.1, 25.12-rc1 → 2512), or undefined (latest, digests, custom tags). */
export function evaluatorVersion(image: string | undefined): { tag: string; version?: number } | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : at >= 0 ? image.slice(at + 1) : 'latest';
  const m = /^v?(\d{2})\.(\d{2})(?:[.+-].*)?$/.exec(tag);
  return { tag, version: m ? Number(m[1]) * 100 + Number(m[2]) : undefined };
}

/** Which variable this evaluator's migration reads, by its version band; `unknown` says why it cannot be told. */
export function migrationVariable(
  image: string | undefined,
  from: string,
): { reads: typeof EVALUATOR_IMAGE_ENV | typeof EVAL_CONTAINER_ENV; band: string } | { unknown: string } {
  const v = evaluatorVersion(image);
  if (!v) return { unknown: 'the evaluator image is not known' };
  if (v.version === undefined) return { unknown: `image tag "${v.tag}" is not a calendar version (YY.MM)` };
  const threshold = Number(from.replace('.', ''));
  return v.version >= threshold
    ? { reads: EVALUATOR_IMAGE_ENV, band: `${v.tag} (${from} or later)` }
    : { reads: EVAL_CONTAINER_ENV, band: `${v.tag} (before ${from})` };
}

const sections = { evaluator: EvaluatorSection, evaluatorInit: EvaluatorInitSection };
type Config = ConfigOf<typeof sections>;

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

const envValue = (c: Container | undefined, name = EVALUATOR_IMAGE_ENV) =>
  [...(c?.env ?? [])].reverse().find((e) => e.name === name)?.value;

export function judgeInit(s: InitSubject, config: Config): Finding {
  const name = config.evaluatorInit.initContainer;
  if (!s.deployment)
    return {
      status: 'skipped',
      summary: `No evaluator Deployment (${s.deploymentName}) in ${config.namespace}`,
      evidence: [],
    };
  if (!s.init)
    return {
      status: 'skipped',
      summary: `Deployment ${s.deploymentName} has no init container ${name} (evaluators before 25.12 do not migrate at start)`,
      evidence: [],
    };
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
      : {
          status: 'warn',
          summary: `The init container ${name} is failing, but evaluator ${band.band} does not read ${EVALUATOR_IMAGE_ENV}: read its log for the cause`,
          evidence,
        };
  }
  if (!value && 'unknown' in band && s.podStates.length === 0) {
    evidence.push({ label: 'Evaluator version', value: `cannot be told: ${band.unknown}`, tone: 'bad' });
    return {
      status: 'warn',
      summary: `The init container ${name} has no ${EVALUATOR_IMAGE_ENV}; evaluators from ${config.evaluatorInit.evaluatorImageFrom} need it, but this one's version cannot be told (${band.unknown})`,
      evidence,
      rootCause: `Set evaluatorInit.evaluatorImageFrom or pin the evaluator to a calendar tag; if its pod goes to Init:CrashLoopBackOff, this check fails and offers the fix.`,
    };
  }
  if (!value)
    return {
      status: 'fail',
      summary: `The evaluator's init container ${name} has no ${EVALUATOR_IMAGE_ENV}: it exits with "Environment variable EVALUATOR_IMAGE is not set" and the evaluator pod stays in Init:CrashLoopBackOff`,
      evidence,
      rootCause: s.cr
        ? `NIM Operator 3.0.x-3.1.x does not pass NemoEvaluator spec.env to init containers, and evaluator 25.12 needs ${EVALUATOR_IMAGE_ENV} there. The env can only live on the Deployment, where every operator re-render (any change to the CR, any NeMo redeploy) drops it again.`
        : undefined,
    };
  if (s.image && value !== s.image)
    return {
      status: 'warn',
      summary: `${EVALUATOR_IMAGE_ENV} in ${name} is ${value}, but the evaluator runs ${s.image}: migrations may run for another version`,
      evidence,
    };
  const rollout = rolloutState(s.deployment);
  if (!rollout.done)
    return {
      status: 'warn',
      summary: `${EVALUATOR_IMAGE_ENV} is set; the rollout that carries it is not complete (${rollout.message})`,
      evidence,
    };
  return { status: 'pass', summary: `The init container ${name} has ${EVALUATOR_IMAGE_ENV}=${value}`, evidence };
}

interface InitPlanData {
  ops: JsonPatchOp[];
  value: string;
}

const carried = (d: KObject, config: Config) =>
  envValue(
    ((d.spec?.template?.spec?.initContainers ?? []) as Container[]).find(
      (c) => c.name === config.evaluatorInit.initContainer,
    ),
  );

export default defineCheck<typeof sections, InitSubject, undefined, InitPlanData>({
  id: 'evaluator-init-image',
  title: "The evaluator's migration init container knows its image",
  area: 'NeMo Evaluator',
  config: sections,
  needs: ['deployments', 'nemoevaluators', 'pods'],
  explain: {
    jobSignatures: [
      {
        pattern: /EVALUATOR_IMAGE is not set/,
        cause: "the evaluator's migration init container has no EVALUATOR_IMAGE",
      },
    ],
    symptom:
      'The evaluator pod stays in Init:CrashLoopBackOff; the init container evaluator-db-migration logs "Environment variable EVALUATOR_IMAGE is not set".',
    rootCause:
      "Evaluator 25.12 runs its database migration in an init container that needs EVALUATOR_IMAGE. NIM Operator 3.0.x-3.1.x renders that init container without the CR's spec.env, and drops any edit to it on every re-render.",
    manualFix: (c) => [
      `oc get deployment ${c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} -o jsonpath='{range .spec.template.spec.initContainers[*]}{.name}{"\\n"}{end}'   # find the index of ${c.evaluatorInit.initContainer} (usually 1, after wait-for-postgres)`,
      `oc patch deployment ${c.evaluator.deployment ?? c.evaluator.crName} -n ${c.namespace} --type=json -p '[{"op":"test","path":"/spec/template/spec/initContainers/<index>/name","value":"${c.evaluatorInit.initContainer}"},{"op":"add","path":"/spec/template/spec/initContainers/<index>/env/-","value":{"name":"EVALUATOR_IMAGE","value":"<repository>:<tag> of the NemoEvaluator image"}}]'`,
      '# repeat after every NemoEvaluator change or NeMo redeploy: the operator drops it',
    ],
  },
  locate: locateInitSubject,
  judge: ({ subject, config }) => judgeInit(subject, config),
  fix: {
    description:
      "Add EVALUATOR_IMAGE (the CR's image) to the init container found by name, guarded by a test on its name, then wait for the rollout. Applied after fixes that patch the NemoEvaluator CR, whose re-render would drop it.",
    touches: ['evaluator-deployment'],
    undoneBy: ['NemoEvaluator'],
    available({ subject, config }) {
      if (!subject.image)
        return { reason: 'the evaluator image is not known (no CR image, no container image): set it by hand' };
      const band = migrationVariable(subject.image, config.evaluatorInit.evaluatorImageFrom);
      if ('reads' in band && band.reads === EVAL_CONTAINER_ENV)
        return {
          reason: `evaluator ${band.band} reads ${EVAL_CONTAINER_ENV}; adding ${EVALUATOR_IMAGE_ENV} would change nothing`,
        };
      // Already set to the evaluator's image: only the rollout is missing, there is nothing to patch.
      if (envValue(subject.init) === subject.image)
        return {
          reason: `${EVALUATOR_IMAGE_ENV} is already set; the rollout that carries it is still in progress: wait for it`,
        };
      return true;
    },
    permissions: (c) => [{ verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace }],
    plan({ subject, config, finding }) {
      const value = subject.image!;
      if (finding.status === 'pass')
        return {
          noop: true,
          summary: `${EVALUATOR_IMAGE_ENV} is already set`,
          changes: [],
          risks: [],
          guards: [],
          data: { ops: [], value },
        };
      const dep = subject.deployment!;
      const { guard, test } = guardFor('Deployment', dep);
      const base = `/spec/template/spec/initContainers/${subject.initIndex}`;
      const ops: JsonPatchOp[] = [
        test,
        { op: 'test', path: `${base}/name`, value: config.evaluatorInit.initContainer },
        ...envVarPatch(`${base}/env`, subject.init!.env, EVALUATOR_IMAGE_ENV, value),
      ];
      return {
        noop: false,
        summary: `Patch Deployment ${subject.deploymentName}: ${EVALUATOR_IMAGE_ENV}=${value} on init container ${config.evaluatorInit.initContainer}`,
        changes: [
          {
            target: targetOf('Deployment', dep),
            action: 'patch',
            description: `set env ${EVALUATOR_IMAGE_ENV} on init container ${config.evaluatorInit.initContainer} (found by name, position ${subject.initIndex + 1})`,
            patch: ops,
            before: show(envValue(subject.init)),
            after: value,
          },
        ],
        risks: [
          `Restarts the evaluator (rolling update of ${subject.deploymentName}).`,
          ...(subject.cr
            ? [
                'Lives on the Deployment only: the next operator re-render (any NemoEvaluator change, any NeMo redeploy) drops it; Fix all applies it after CR patches, and a re-run shows when it is gone.',
              ]
            : []),
        ],
        guards: [guard],
        data: { ops, value },
      };
    },
    async readBack({ subject, config, reader, signal }, plan) {
      const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, subject.deploymentName, { signal });
      return [
        {
          step: `init container carries ${EVALUATOR_IMAGE_ENV}=${plan.data.value}`,
          done: carried(d, config) === plan.data.value,
        },
        { step: `Deployment ${subject.deploymentName} rolled out`, done: rolloutState(d).done },
      ];
    },
    steps({ subject, config, reader }, plan) {
      return [
        {
          kind: 'patch',
          label: `patch Deployment ${subject.deploymentName}: init container env`,
          resource: 'deployments',
          name: subject.deploymentName,
          ops: plan.data.ops,
          settle: (signal, progress) =>
            waitForRollout(reader, config.namespace, subject.deploymentName, config.rolloutTimeoutMs, signal, progress),
        },
      ];
    },
  },
});
