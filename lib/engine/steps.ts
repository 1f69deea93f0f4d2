import { canI, type AccessQuestion, type JsonPatchOp, type KubeClient } from '../k8s/client';
import { errorMessage, KubeApiError } from '../k8s/errors';
import { httpRequest } from '../http';
import type { KObject } from '../k8s/object';
import { runPodToCompletion } from '../k8s/pods';
import { RESOURCES, type ResourceName } from '../k8s/resources';
import { waitForRollout } from '../k8s/wait';
import { restartPatch } from './plan-helpers';

/**
 * What follows a write until it is in effect (the operator re-renders, nginx serves the new
 * config): code the engine runs after the step's write, never in a dry run. Throws, with a message
 * that says what did not happen, when it gives up.
 */
export type Settle = (signal: AbortSignal, progress: (m: string) => void) => Promise<void>;

/**
 * A fix's plan as steps the engine executes. Each kind has one dry-run path (server-side dry run
 * for Kubernetes writes; a pod step is dry-run created, never run; an HTTP step is described and
 * its service's reachability checked, never sent), per-step progress, and what it did is kept so a
 * failure says exactly which steps are in effect.
 */
export type FixStep =
  | { kind: 'patch'; label: string; resource: ResourceName; name: string; ops: JsonPatchOp[]; settle?: Settle }
  | { kind: 'create'; label: string; resource: ResourceName; object: KObject; settle?: Settle }
  | { kind: 'restart'; label: string; deployment: string; settle?: Settle }
  | { kind: 'run-pod'; label: string; pod: KObject; timeoutMs: number; failure(exitCode: number, log: string): string }
  | {
      kind: 'http';
      label: string;
      method: 'POST' | 'PUT';
      url: string;
      body: unknown;
      /** Statuses that mean done (e.g. 409 "already exists"). */
      accept: number[];
      /** A GET whose 2xx says, in a dry run, that the service would receive it. */
      reachable: string;
      /** The permission that stands for sending it (HTTP services have no Kubernetes identity to check). */
      requires?: AccessQuestion;
      /** Run in a dry run too? Never: HTTP has no dry run. */
    };

export type StepState = 'applied' | 'validated' | 'described' | 'refused' | 'failed' | 'not attempted';

export interface StepOutcome {
  label: string;
  state: StepState;
  detail?: string;
}

/** A step that did not complete: every step's state, and the error that stopped them. */
export class StepsFailed extends Error {
  constructor(
    readonly outcomes: StepOutcome[],
    readonly cause: unknown,
    readonly at: number,
  ) {
    super(errorMessage(cause));
  }
  /** The API refused the write because the object changed (a 409, or a failed JSON Patch `test`). */
  get isConflict(): boolean {
    const e = this.cause;
    return (
      e instanceof KubeApiError &&
      (e.isConflict ||
        (e.status === 422 &&
          /rejected our request due to an error in our request|testing value .* failed/i.test(e.apiMessage)))
    );
  }
  get applied(): StepOutcome[] {
    return this.outcomes.filter((o) => o.state === 'applied');
  }
}

export interface StepContext {
  actor: KubeClient;
  reader: KubeClient;
  namespace: string;
  dryRun: boolean;
  rolloutTimeoutMs: number;
  signal: AbortSignal;
  progress(m: string): void;
}

/** Every permission a set of RBAC rules grants, as access questions (RBAC escalation prevention). */
export function ruleQuestions(
  rules: Array<{ apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }>,
  namespace: string,
): AccessQuestion[] {
  const out = new Map<string, AccessQuestion>();
  for (const r of rules)
    for (const group of r.apiGroups ?? [])
      for (const resource of r.resources ?? [])
        for (const verb of r.verbs ?? [])
          for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
            const [res, sub] = resource.split('/');
            const q: AccessQuestion = { verb, group, resource: res!, subresource: sub, namespace, name };
            out.set(JSON.stringify(q), q);
          }
  return [...out.values()];
}

/**
 * What the API server asks before it stores a RoleBinding: may the user create it, and either bind
 * the Role or already hold every permission it grants. A binding to a Role that an earlier step
 * only dry-run created cannot be dry-run (the API answers 404): these questions stand for it.
 */
async function mayBindNewRole(actor: KubeClient, ns: string, binding: string, role: KObject): Promise<void> {
  const attempt = { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace: ns };
  if (!(await canI(actor, { ...attempt, name: binding })).allowed)
    throw new KubeApiError(403, 'Forbidden', `cannot create rolebindings in namespace ${ns}`, attempt);
  const bind = {
    verb: 'bind',
    group: 'rbac.authorization.k8s.io',
    resource: 'roles',
    namespace: ns,
    name: role.metadata?.name,
  };
  if ((await canI(actor, bind)).allowed) return;
  const answers = await Promise.all(
    ruleQuestions(role.rules ?? [], ns).map(async (q) => ({ q, ...(await canI(actor, q)) })),
  );
  const missing = answers.filter((a) => !a.allowed).map((a) => `${a.q.verb} ${a.q.resource}`);
  if (missing.length)
    throw new KubeApiError(
      403,
      'Forbidden',
      `rolebindings "${binding}" is forbidden: user is attempting to grant RBAC permissions not currently held: ${missing.join(', ')}`,
      attempt,
    );
}

/**
 * Executes a fix's steps in order (a dry run validates each instead). The first step that fails
 * stops the rest; StepsFailed then says what each step did.
 */
export async function runSteps(steps: FixStep[], ctx: StepContext): Promise<StepOutcome[]> {
  const { actor, reader, namespace: ns, dryRun, signal } = ctx;
  const outcomes: StepOutcome[] = steps.map((s) => ({ label: s.label, state: 'not attempted' }));
  const dryRunRoles = new Map<string, KObject>();
  for (const [i, step] of steps.entries()) {
    const say = (m: string) => ctx.progress(steps.length > 1 ? `step ${i + 1}/${steps.length}: ${m}` : m);
    // Said the moment the write is accepted (before any wait): what is in effect from then on.
    const written = () => !dryRun && say(`applied: ${step.label}`);
    try {
      if (!dryRun) say(step.label);
      outcomes[i] = { label: step.label, ...(await runStep(step, written)) };
    } catch (e) {
      const refused = e instanceof KubeApiError && e.status >= 400 && e.status < 500;
      outcomes[i] = { label: step.label, state: refused ? 'refused' : 'failed', detail: errorMessage(e) };
      throw new StepsFailed(outcomes, e, i);
    }
  }
  return outcomes;

  async function runStep(step: FixStep, written: () => void): Promise<Omit<StepOutcome, 'label'>> {
    switch (step.kind) {
      case 'patch': {
        await actor.jsonPatch(RESOURCES[step.resource], ns, step.name, step.ops, { dryRun });
        written();
        if (!dryRun) await step.settle?.(signal, ctx.progress);
        return { state: dryRun ? 'validated' : 'applied' };
      }
      case 'create': {
        const role = step.object.kind === 'RoleBinding' ? dryRunRoles.get(step.object.roleRef?.name) : undefined;
        if (dryRun && role) {
          await mayBindNewRole(actor, ns, step.object.metadata!.name!, role);
          return { state: 'validated', detail: 'by access review: its Role exists only once applied' };
        }
        await actor.create(RESOURCES[step.resource], ns, step.object, { dryRun });
        written();
        if (dryRun && step.object.kind === 'Role') dryRunRoles.set(step.object.metadata!.name!, step.object);
        if (!dryRun) await step.settle?.(signal, ctx.progress);
        return { state: dryRun ? 'validated' : 'applied' };
      }
      case 'restart': {
        const dep = await reader.get<KObject>(RESOURCES.deployments, ns, step.deployment, { signal });
        await actor.jsonPatch(RESOURCES.deployments, ns, step.deployment, restartPatch(dep), { dryRun });
        written();
        if (dryRun) return { state: 'validated' };
        await waitForRollout(reader, ns, step.deployment, ctx.rolloutTimeoutMs, signal, ctx.progress);
        await step.settle?.(signal, ctx.progress);
        return { state: 'applied' };
      }
      case 'run-pod': {
        const res = await runPodToCompletion(actor, step.pod, step.timeoutMs, { signal, dryRun });
        if (dryRun) return { state: 'validated', detail: 'the pod was dry-run created, not run' };
        if (res.exitCode !== 0) throw new Error(step.failure(res.exitCode, res.log));
        return { state: 'applied', detail: `exit 0, pod ${step.pod.metadata?.name} deleted` };
      }
      case 'http': {
        if (step.requires && !(await canI(actor, step.requires)).allowed)
          throw new KubeApiError(
            403,
            'Forbidden',
            `you may not send requests to this service (${step.requires.verb} ${step.requires.resource}${step.requires.subresource ? `/${step.requires.subresource}` : ''} "${step.requires.name ?? ''}" in ${step.requires.namespace}), so Flywheel Doctor does not send it for you; ask for that permission or do it by hand`,
          );
        if (dryRun) {
          const probe = await httpRequest('GET', step.reachable, { timeoutMs: 5000, signal }).catch((e: unknown) =>
            e instanceof Error ? e : new Error(String(e)),
          );
          if (probe instanceof Error || probe.status >= 300)
            throw new Error(
              `${step.reachable} does not answer (${probe instanceof Error ? errorMessage(probe) : `HTTP ${probe.status}`}), so ${step.method} ${step.url} would fail`,
            );
          return { state: 'described', detail: `${step.method} ${step.url} (HTTP has no dry run: not sent)` };
        }
        const res = await httpRequest(step.method, step.url, { timeoutMs: 10_000, signal, json: step.body });
        if (!step.accept.includes(res.status))
          throw new Error(`${step.method} ${step.url} answered ${res.status}: ${res.body.slice(0, 300)}`);
        written();
        return { state: 'applied', detail: `answered ${res.status}` };
      }
    }
  }
}

/** One line per step for a message: "1. label: applied; 2. label: refused (…); 3. label: not attempted". */
export function describeOutcomes(outcomes: StepOutcome[]): string {
  return outcomes
    .map(
      (o, i) =>
        `${i + 1}. ${o.label}: ${o.state}${o.detail && o.state !== 'refused' && o.state !== 'failed' ? ` (${o.detail})` : ''}`,
    )
    .join('; ');
}
