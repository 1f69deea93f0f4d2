import './nim-resources';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { guardFor, show, targetOf } from '../../lib/engine/plan-helpers';
import type { FixStep } from '../../lib/engine/steps';
import type { PlanBody } from '../../lib/engine/types';
import type { JsonPatchOp, KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { waitForObject, waitForRollout, WaitTimeout } from '../../lib/k8s/wait';
import { lastDoctorWrite, liveRenderBlocker, renderBlocker } from './operator-render';

/** Where to find the NeMo Evaluator: the NIM Operator's names by default, helm's detected. */
export const EvaluatorSection = z
  .object({
    crName: z.string().default('nemoevaluator-sample'),
    deployment: z.string().optional(), // default: same as crName, or helm's nemo-evaluator
    container: z.string().optional(), // default: <deployment>-ctr, else the one carrying ENTITY_STORE_URL
    role: z.string().optional(),
    serviceAccount: z.string().optional(),
  })
  .prefault({});

export type EvaluatorConfig = ConfigOf<{ evaluator: typeof EvaluatorSection }>;

/** The upstream helm chart's evaluator name, detected when the operator's is absent. */
export const HELM_EVALUATOR = 'nemo-evaluator';
export const ENTITY_STORE_ENV = 'ENTITY_STORE_URL';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string };
    fieldRef?: unknown;
  };
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string };
}
export interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
}

export interface EvaluatorRefs {
  deployment?: KObject;
  deploymentName: string;
  /** 'operator' when the Deployment is owned by a NemoEvaluator CR. */
  flavour: 'operator' | 'helm' | 'unknown';
  cr?: KObject;
  container?: Container;
  serviceAccount: string;
  /** The Role the operator renders for the evaluator (configured, else the Deployment's name). */
  roleName: string;
}

/** Finds the evaluator Deployment, its CR, container and service account by config, then by content. */
export function resolveEvaluator(
  config: EvaluatorConfig,
  snapshot: Snapshot,
  opts: { withCr: boolean },
): EvaluatorRefs {
  const deployments = snapshot.list('deployments');
  const wanted = config.evaluator.deployment ?? config.evaluator.crName;
  const deployment =
    deployments.find((d) => d.metadata?.name === wanted) ??
    (config.evaluator.deployment ? undefined : deployments.find((d) => d.metadata?.name === HELM_EVALUATOR));
  const deploymentName = deployment?.metadata?.name ?? wanted;
  const owner = deployment?.metadata?.ownerReferences?.find((o) => o.kind === 'NemoEvaluator');
  const cr =
    opts.withCr && !snapshot.notInstalled('nemoevaluators')
      ? snapshot.find('nemoevaluators', owner?.name ?? config.evaluator.crName)
      : undefined;
  const containers: Container[] = deployment?.spec?.template?.spec?.containers ?? [];
  const container =
    containers.find((c) => c.name === (config.evaluator.container ?? `${deploymentName}-ctr`)) ??
    containers.find((c) => c.name === config.evaluator.container) ??
    containers.find((c) => c.env?.some((e) => e.name === ENTITY_STORE_ENV)) ??
    containers[0];
  return {
    deployment,
    deploymentName,
    flavour: owner ? 'operator' : deployment ? (deploymentName === HELM_EVALUATOR ? 'helm' : 'unknown') : 'unknown',
    cr,
    container,
    serviceAccount:
      config.evaluator.serviceAccount ?? deployment?.spec?.template?.spec?.serviceAccountName ?? deploymentName,
    roleName: config.evaluator.role ?? deploymentName,
  };
}

/** JSON Patch that sets one variable in an env list at `base` (appends, or replaces the last entry of that name after a `test`). */
export function envVarPatch(base: string, env: EnvVar[] | undefined, name: string, value: string): JsonPatchOp[] {
  const entry = { name, value };
  if (!env) return [{ op: 'add', path: base, value: [entry] }];
  const idx = env.map((e) => e.name).lastIndexOf(name);
  if (idx < 0) return [{ op: 'add', path: `${base}/-`, value: entry }];
  return [
    { op: 'test', path: `${base}/${idx}/name`, value: name },
    { op: 'replace', path: `${base}/${idx}`, value: entry },
  ];
}

/** The last value of a variable in the NemoEvaluator CR's spec.env. */
export function crEnv(cr: KObject | undefined, name: string): string | undefined {
  return ((cr?.spec?.env ?? []) as EnvVar[]).filter((x) => x.name === name).pop()?.value;
}

/**
 * Why a fix that patches the NemoEvaluator CR cannot take effect now: the operator cannot render
 * (its database Secret is missing), so the patch would never reach the Deployment.
 */
export function crPatchBlocked(cr: KObject | undefined, snapshot: Snapshot): { reason: string } | undefined {
  const blocker = cr && renderBlocker(cr, snapshot);
  return blocker
    ? {
        reason: `the NIM Operator cannot render the evaluator (${blocker}), so a NemoEvaluator patch would never reach the Deployment: fix check nemo-database-secrets first`,
      }
    : undefined;
}

/** The operator will not re-render: what it needs is missing. Said promptly instead of waiting out the timeout. */
export class StalledRender extends Error {}

/** The NIM Operator's render marker on what it renders: a hash of the CR spec it rendered from. */
export const RENDER_HASH = 'nvidia.com/parent-spec-hash';
/**
 * How long to wait for a render when the Deployment already looks right and still carries the
 * pre-patch marker: the operator may have a render of an older spec pending (it would overwrite
 * the Deployment), or may have nothing to do (the patch restored the spec it last rendered).
 */
export const ALREADY_RENDERED_GRACE_MS = 10_000;

const renderHash = (d: KObject) => d.metadata?.annotations?.[RENDER_HASH] as string | undefined;

/**
 * After a NemoEvaluator CR patch: watch until the operator has re-rendered the evaluator
 * Deployment with the change (`rendered`, and a render marker other than `renderedBefore`, the one
 * the Deployment had when the fix was planned), then until it has rolled out. Meanwhile, every
 * second, ask whether the operator can render at all (its database Secret, its own Warning Events
 * since the patch): a render that will never come fails within seconds with its cause.
 */
export async function waitForEvaluatorRender(
  ctx: {
    reader: KubeClient;
    config: { namespace: string; rolloutTimeoutMs: number };
    signal: AbortSignal;
    progress(step: string): void;
  },
  wait: { deployment: string; cr: string; rendered: (d: KObject) => boolean; what: string; renderedBefore?: string },
): Promise<void> {
  const { reader, config, signal, progress } = ctx;
  const { deployment, rendered, what } = wait;
  progress('waiting for the operator to re-render the evaluator Deployment');
  const waiting = new AbortController();
  const stop = () => waiting.abort();
  signal.addEventListener('abort', stop, { once: true });
  const stalled = watchForStall(reader, config.namespace, wait.cr, waiting.signal);
  const renderedAnew = (d: KObject) =>
    rendered(d) && (wait.renderedBefore === undefined || renderHash(d) !== wait.renderedBefore);
  const watchFor = (done: (d: KObject) => boolean, ms: number) =>
    waitForObject(reader, RESOURCES.deployments, config.namespace, deployment, done, ms, waiting.signal);
  try {
    await Promise.race([
      (async () => {
        const now = await reader.get<KObject>(RESOURCES.deployments, config.namespace, deployment, { signal });
        if (!rendered(now) || renderedAnew(now)) return watchFor(renderedAnew, config.rolloutTimeoutMs);
        // Looks right, from the render before the patch: wait a little for the operator's own pass.
        await watchFor(renderedAnew, ALREADY_RENDERED_GRACE_MS).catch((e: unknown) => {
          if (!(e instanceof WaitTimeout)) throw e;
          progress('the operator did not render again: the Deployment already carries the change');
        });
      })(),
      stalled.then((cause) => {
        throw new StalledRender(
          `the NemoEvaluator CR was patched, but the NIM Operator cannot re-render Deployment ${deployment}: ${cause}. The patch stays on the CR and reaches the Deployment once the operator can render: fix that first (check nemo-database-secrets), then run this check again.`,
        );
      }),
    ]);
  } catch (e) {
    if (!(e instanceof WaitTimeout)) throw e;
    throw new Error(
      `the NemoEvaluator CR was patched, but Deployment ${deployment} still does not carry ${what} after ${config.rolloutTimeoutMs / 1000} s: is the NIM Operator running?`,
    );
  } finally {
    waiting.abort();
    signal.removeEventListener('abort', stop);
  }
  progress(`waiting for deployment ${deployment} to roll out`);
  await waitForRollout(reader, config.namespace, deployment, config.rolloutTimeoutMs, signal, progress);
  progress('rollout complete');
}

/** Resolves with the cause once the operator is seen unable to render; never resolves while it can. */
async function watchForStall(reader: KubeClient, namespace: string, crName: string, signal: AbortSignal) {
  const cr = await reader.get<KObject>(RESOURCES.nemoevaluators, namespace, crName, { signal }).catch(() => undefined);
  // Events older than the patch (a failure since mended) do not count; server time where the CR has it.
  const since = (cr && lastDoctorWrite(cr)) ?? `${new Date().toISOString().slice(0, 19)}Z`;
  while (!signal.aborted) {
    const cause = await liveRenderBlocker(reader, namespace, 'nemoevaluators', crName, since, signal).catch(
      () => undefined, // a read that fails says nothing about the operator: keep waiting for the render
    );
    if (cause) return cause;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return new Promise<string>(() => {});
}

/**
 * The step that sets an evaluator env var: a patch of the NemoEvaluator CR (then wait until the
 * operator has re-rendered the Deployment with it and it rolled out) or of the Deployment itself
 * (then wait for its rollout).
 */
export function evaluatorEnvStep(
  ctx: { reader: KubeClient; config: { namespace: string; rolloutTimeoutMs: number } },
  target: { kind: 'cr' | 'deployment'; name: string; ops: JsonPatchOp[]; deployment: KObject | string },
  env: { name: string; rendered: (d: KObject) => boolean; what: string },
): FixStep {
  const { reader, config } = ctx;
  const cr = target.kind === 'cr';
  const deployment = typeof target.deployment === 'string' ? target.deployment : target.deployment.metadata!.name!;
  const renderedBefore = typeof target.deployment === 'string' ? undefined : renderHash(target.deployment);
  return {
    kind: 'patch',
    label: `patch ${cr ? 'NemoEvaluator' : 'Deployment'} ${target.name}: ${env.name}`,
    resource: cr ? 'nemoevaluators' : 'deployments',
    name: target.name,
    ops: target.ops,
    settle: (signal, progress) =>
      cr
        ? waitForEvaluatorRender(
            { reader, config, signal, progress },
            { deployment, cr: target.name, rendered: env.rendered, what: env.what, renderedBefore },
          )
        : waitForRollout(reader, config.namespace, deployment, config.rolloutTimeoutMs, signal, progress),
  };
}

export interface EffectiveEnv {
  value?: string;
  source: string;
  /** Set when the value cannot be known (e.g. it comes from a Secret the doctor must not read). */
  unknownReason?: string;
}

/** Resolves a container env var the way the kubelet does: last `env` entry wins over `envFrom`. */
export function effectiveEnv(name: string, container: Container, snapshot: Snapshot): EffectiveEnv | undefined {
  const direct = [...(container.env ?? [])].reverse().find((e) => e.name === name);
  if (direct) {
    if (direct.value !== undefined) return { value: direct.value, source: 'env value' };
    const cmRef = direct.valueFrom?.configMapKeyRef;
    if (cmRef) {
      const cm = snapshot.find('configmaps', cmRef.name);
      const v = cm?.data?.[cmRef.key];
      if (v === undefined)
        return {
          source: `ConfigMap ${cmRef.name} key ${cmRef.key}`,
          unknownReason: cm
            ? `key ${cmRef.key} is missing from ConfigMap ${cmRef.name}`
            : `ConfigMap ${cmRef.name} does not exist`,
        };
      return { value: v, source: `ConfigMap ${cmRef.name} key ${cmRef.key}` };
    }
    if (direct.valueFrom?.secretKeyRef)
      return {
        source: `Secret ${direct.valueFrom.secretKeyRef.name}`,
        unknownReason: 'the value comes from a Secret, which Flywheel Doctor does not read',
      };
    return { source: 'env valueFrom', unknownReason: 'the value comes from a field reference' };
  }
  for (const from of [...(container.envFrom ?? [])].reverse()) {
    const key =
      from.prefix && name.startsWith(from.prefix) ? name.slice(from.prefix.length) : from.prefix ? undefined : name;
    if (key === undefined) continue;
    if (from.configMapRef) {
      const v = snapshot.find('configmaps', from.configMapRef.name)?.data?.[key];
      if (v !== undefined) return { value: v, source: `envFrom ConfigMap ${from.configMapRef.name}` };
    }
    if (from.secretRef)
      return {
        source: `envFrom Secret ${from.secretRef.name}`,
        unknownReason: 'the env may come from a Secret, which Flywheel Doctor does not read',
      };
  }
  return undefined;
}

/** What an evaluator env fix carries from plan to apply: where it patches, the ops, the new value. */
export interface EnvPlanData {
  kind: 'cr' | 'deployment';
  name: string;
  ops: JsonPatchOp[];
  value: string;
}

/** Durable path: spec.env on the NemoEvaluator CR; the operator re-renders the Deployment from it. */
export function crEnvPlan(
  ev: EvaluatorRefs & { cr: KObject },
  name: string,
  value: string,
  before: string | undefined,
): PlanBody<EnvPlanData> {
  const { guard, test } = guardFor('NemoEvaluator', ev.cr);
  const ops: JsonPatchOp[] = [
    test,
    ...(ev.cr.spec ? [] : [{ op: 'add' as const, path: '/spec', value: {} }]),
    ...envVarPatch('/spec/env', ev.cr.spec?.env, name, value),
  ];
  return {
    noop: false,
    summary: `Patch NemoEvaluator ${ev.cr.metadata?.name}: spec.env ${name}=${value}; the operator re-renders Deployment ${ev.deploymentName}`,
    changes: [
      {
        target: targetOf('NemoEvaluator', ev.cr),
        action: 'patch',
        description: `set spec.env ${name}`,
        patch: ops,
        before: show(before),
        after: value,
      },
    ],
    risks: [
      `Restarts the evaluator (rolling update of ${ev.deploymentName}); evaluation jobs already running keep their own pods.`,
    ],
    guards: [guard],
    data: { kind: 'cr', name: ev.cr.metadata!.name!, ops, value },
  };
}

/** No CR owns the Deployment (helm, hand-made): set the env on the container itself. */
export function deploymentEnvPlan(
  ev: EvaluatorRefs & { deployment: KObject; container: Container },
  name: string,
  value: string,
  before: string | undefined,
  lasting: string,
): PlanBody<EnvPlanData> {
  const cIdx = (ev.deployment.spec.template.spec.containers as Container[]).findIndex(
    (c) => c.name === ev.container.name,
  );
  const { guard, test } = guardFor('Deployment', ev.deployment);
  const base = `/spec/template/spec/containers/${cIdx}`;
  const ops: JsonPatchOp[] = [
    test,
    { op: 'test', path: `${base}/name`, value: ev.container.name },
    ...envVarPatch(`${base}/env`, ev.container.env, name, value),
  ];
  return {
    noop: false,
    summary: `Patch Deployment ${ev.deploymentName} (no NemoEvaluator CR owns it): ${name}=${value}`,
    changes: [
      {
        target: targetOf('Deployment', ev.deployment),
        action: 'patch',
        description: `set env ${name} on container ${ev.container.name}`,
        patch: ops,
        before: show(before),
        after: value,
      },
    ],
    risks: [`Restarts the evaluator (rolling update of ${ev.deploymentName}).`, lasting],
    guards: [guard],
    data: { kind: 'deployment', name: ev.deploymentName, ops, value },
  };
}
