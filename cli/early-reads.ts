/**
 * A run's lists go out before the engine loads. Loading the checks, their schemas and the report
 * renderers is most of the CLI's start-up; which lists a run needs follows from the flags and
 * checks/reads.ts alone, so they are started first and the rest loads while the API server answers.
 * The run adopts them only when it reads the same namespace as the same identity through the same
 * connection (Snapshot.continueFor); otherwise it lists on its own and these answers go unused.
 * Anything unusual (a flag or check id the engine will refuse, no kubeconfig) starts nothing
 * here: the engine reports it in its own words.
 */
import { CHECK_READS, CUSTOM_RESOURCES } from '../checks/reads';
import { DEFAULT_NAMESPACE, explicitNamespace, mergeConfigInput } from '../lib/config-input';
import { Snapshot } from '../lib/engine/snapshot';
import { findById } from '../lib/engine/types';
import { KubeAccess } from '../lib/k8s/client';
import { defineResources, NAMESPACE_NAME, RESOURCES, type ResourceName } from '../lib/k8s/resources';
import { readArgs, runSelection } from './args';

export interface EarlyReads {
  /** The cluster access the engine goes on with (its HTTP/2 connection is already open). */
  access: KubeAccess;
  snapshot: Snapshot;
  /** Resolves once the lists are on their way; never rejects. */
  sent: Promise<void>;
}

// The custom kinds the checks read, registered as the checks will register them when they load.
defineResources(CUSTOM_RESOURCES);

/** The kinds `flywheel-doctor run` with these flags lists; undefined when a check id is unknown. */
export function runNeeds(check: readonly string[], skip: readonly string[]): Set<ResourceName> | undefined {
  const { ids, unknownSkip } = runSelection(CHECK_READS, check, skip);
  const selected = ids.map((id) => findById(CHECK_READS, id));
  if (unknownSkip || selected.some((c) => !c)) return undefined;
  // A kind not known yet is left to the engine. The namespace itself is always read, first
  // (lib/engine/runner.ts).
  const kinds = selected.flatMap((c) => c!.needs).filter((kind) => RESOURCES[kind]);
  return new Set<ResourceName>(['namespaces', ...kinds]);
}

export function startEarlyReads(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): EarlyReads | undefined {
  try {
    const args = readArgs(argv);
    if (args.command !== 'run') return undefined;
    const needs = runNeeds(args.check, args.skip);
    if (!needs) return undefined;
    const access = new KubeAccess({ kubeconfig: args.kubeconfig, context: args.context, http2: true });
    const merged = mergeConfigInput({ namespace: explicitNamespace(args.namespace, env) }, env, {
      namespace: access.namespace,
    });
    const namespace = merged.namespace ?? DEFAULT_NAMESPACE;
    if (!NAMESPACE_NAME.test(namespace)) return undefined; // the configuration will refuse it
    const client = access.app();
    return { access, snapshot: Snapshot.start(client, namespace, needs), sent: client.sent() };
  } catch {
    return undefined;
  }
}
