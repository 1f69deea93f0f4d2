import { redactDeep } from '../report/redact';
import type { KubeClient } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES, resourcePath } from '../k8s/resources';
import type { CheckStatus } from '../engine/types';
import type { FieldChange } from './diff';

/** The object change that started a run (a watch event), with who made it and what changed. */
export interface Trigger {
  kind: string;
  name: string;
  event: string;
  changedBy?: string;
  changedAt?: string;
  diff: FieldChange[];
  /**
   * The change to an object this one controls (the Deployment an operator re-rendered from a CR)
   * that completed it: the checks read what runs, so the status moved only once that followed.
   */
  then?: { kind: string; name: string; changedBy?: string };
}

export interface HistoryEntry {
  at: string;
  runId: string;
  reason: 'start' | 'change' | 'schedule' | 'fix';
  trigger?: Trigger;
  statuses: Record<string, CheckStatus>;
  /** Checks whose status changed since the previous entry. */
  transitions: Array<{ check: string; from?: CheckStatus; to: CheckStatus }>;
  fixes?: Array<{ check: string; by: string; auto: boolean; outcome: string; verified?: CheckStatus; summary: string }>;
}

const KEY = 'history.json';

const isEntry = (e: unknown): e is HistoryEntry => {
  const x = e as Partial<HistoryEntry> | null;
  return (
    !!x &&
    typeof x === 'object' &&
    typeof x.at === 'string' &&
    typeof x.runId === 'string' &&
    !!x.statuses &&
    typeof x.statuses === 'object' &&
    Array.isArray(x.transitions)
  );
};

/**
 * The stored history as far as it can be read: anyone who may edit ConfigMaps here can break its
 * JSON, and a broken entry must not cost every later one (nor answer 500 for ever).
 */
export function parseHistory(text: string | undefined): { entries: HistoryEntry[]; damaged: boolean } {
  if (text === undefined || text === '') return { entries: [], damaged: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { entries: [], damaged: true };
  }
  if (!Array.isArray(parsed)) return { entries: [], damaged: true };
  const entries = parsed.filter(isEntry);
  return { entries, damaged: entries.length !== parsed.length };
}
const MAX_BYTES = 512 * 1024;

/**
 * The last runs of one namespace, kept in the cluster (a ConfigMap in the app's namespace): the pod
 * runs read-only as a random UID, and every replica sees the same history. Bounded by count and size.
 */
export class HistoryStore {
  constructor(
    private readonly client: KubeClient,
    private readonly appNamespace: string,
    readonly watched: string,
    private readonly retain = 50,
  ) {}

  get name(): string {
    return `flywheel-doctor-history-${this.watched}`;
  }

  /** Entries from `since` on (a report's time range). */
  async since(since: string): Promise<HistoryEntry[]> {
    return (await this.load()).filter((e) => e.at >= since);
  }

  async load(): Promise<HistoryEntry[]> {
    return (await this.read()).entries;
  }

  /** The stored entries; `damaged` when some (or all) of what is stored could not be read. */
  async read(): Promise<{ entries: HistoryEntry[]; damaged: boolean }> {
    try {
      const cm = await this.client.get<KObject>(RESOURCES.configmaps, this.appNamespace, this.name);
      return parseHistory(cm.data?.[KEY]);
    } catch (e) {
      if (e instanceof KubeApiError && e.isNotFound) return { entries: [], damaged: false };
      throw e;
    }
  }

  /** Appends under optimistic concurrency (resourceVersion), retrying when another writer won. */
  async append(entry: HistoryEntry): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let cm: KObject | undefined;
      try {
        cm = await this.client.get<KObject>(RESOURCES.configmaps, this.appNamespace, this.name);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.isNotFound)) throw e;
      }
      // A damaged history (edited by hand, truncated) keeps what can be read and goes on.
      const previous = parseHistory(cm?.data?.[KEY]).entries;
      // An entry may judge only some checks (a fix): the others keep their last known status.
      // Masked before it is written: the history is readable by anyone who may read ConfigMaps here.
      const merged = redactDeep(
        { ...entry, statuses: { ...(previous.at(-1)?.statuses ?? {}), ...entry.statuses } },
        [],
        'history',
      );
      let entries = [...previous, merged].slice(-this.retain);
      while (entries.length > 1 && Buffer.byteLength(JSON.stringify(entries)) > MAX_BYTES) entries = entries.slice(1);
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: this.name,
          namespace: this.appNamespace,
          labels: { 'app.kubernetes.io/managed-by': 'flywheel-doctor', 'flywheel-doctor.dev/history': this.watched },
          ...(cm ? { resourceVersion: cm.metadata?.resourceVersion } : {}),
        },
        data: { [KEY]: JSON.stringify(entries) },
      };
      try {
        if (cm)
          await this.client.request('PUT', resourcePath(RESOURCES.configmaps, this.appNamespace, this.name), { body });
        else await this.client.create(RESOURCES.configmaps, this.appNamespace, body);
        return;
      } catch (e) {
        if (!(e instanceof KubeApiError && e.isConflict)) throw e;
      }
    }
    throw new Error(`history for ${this.watched}: five writers in a row won the race; entry dropped`);
  }
}
