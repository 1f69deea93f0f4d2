import type { KubeClient } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES, type ResourceName } from '../k8s/resources';

type Slot = { items: KObject[]; notInstalled?: boolean } | { error: KubeApiError | Error };

/**
 * Objects a caller already holds current (the watch's store): a kind it answers for is not listed
 * again. Its objects are as `RESOURCES[kind].keep` leaves them, like a list's.
 */
export interface HeldObjects {
  held(kind: ResourceName): { items: KObject[]; notInstalled?: boolean } | undefined;
}

/**
 * The per-run view of one namespace: every resource kind a run needs is listed once, all in
 * parallel; each check judges once the kinds it needs have arrived. Checks are pure functions of this plus their probes.
 * A failed read is kept and re-thrown to each check that needs it, so one 403 becomes an
 * explained `error` on the checks it affects and the rest of the run goes on.
 */
export class Snapshot {
  private readonly slots = new Map<ResourceName, Slot>();
  private namespaceSlot?: { object?: KObject } | { error: KubeApiError | Error };

  constructor(readonly namespace: string) {}

  /** The client a started snapshot reads with (none for one built from fixtures). */
  private reader?: KubeClient;

  /** What each kind's read resolves to once it has arrived (a started snapshot). */
  private readonly arrivals = new Map<ResourceName, Promise<void>>();

  /**
   * Starts every read at once and returns at once: `ready(kinds)` resolves when those kinds have
   * arrived, so a check can judge as soon as its own reads are in rather than after the slowest list.
   */
  static start(
    client: KubeClient,
    namespace: string,
    needs: Iterable<ResourceName>,
    signal?: AbortSignal,
    store?: HeldObjects,
  ): Snapshot {
    const snap = new Snapshot(namespace);
    snap.reader = client;
    for (const kind of new Set(needs)) {
      const held = kind === 'namespaces' ? undefined : store?.held(kind);
      if (held) {
        snap.slots.set(kind, { items: held.items, notInstalled: held.notInstalled });
        snap.arrivals.set(kind, Promise.resolve());
      } else snap.arrivals.set(kind, snap.read(client, kind, signal));
    }
    return snap;
  }

  /**
   * This snapshot, already under way, as the one a run of `namespace` by `client` needs: the kinds
   * it has not started are started now. Undefined when it reads another namespace or as another
   * identity (the run then lists on its own).
   */
  continueFor(
    client: KubeClient,
    namespace: string,
    needs: Iterable<ResourceName>,
    signal?: AbortSignal,
  ): Snapshot | undefined {
    if (namespace !== this.namespace || !this.reader?.readsLike(client)) return undefined;
    for (const kind of new Set(needs))
      if (!this.arrivals.has(kind)) this.arrivals.set(kind, this.read(client, kind, signal));
    return this;
  }

  /** Every kind listed once, in parallel; resolves when all have arrived. */
  static async load(
    client: KubeClient,
    namespace: string,
    needs: Iterable<ResourceName>,
    signal?: AbortSignal,
  ): Promise<Snapshot> {
    const snap = Snapshot.start(client, namespace, needs, signal);
    await snap.ready();
    return snap;
  }

  /** Resolves when these kinds (all that were started, when none are named) have arrived; never rejects. */
  async ready(kinds?: Iterable<ResourceName>): Promise<void> {
    const wanted = kinds ? [...kinds] : [...this.arrivals.keys()];
    await Promise.all(wanted.map((k) => this.arrivals.get(k)));
  }

  private async read(client: KubeClient, kind: ResourceName, signal?: AbortSignal): Promise<void> {
    const type = RESOURCES[kind];
    const namespace = this.namespace;
    try {
      if (kind === 'namespaces') {
        this.namespaceSlot = { object: await client.get<KObject>(type, undefined, namespace, { signal }) };
        return;
      }
      const query = type.fieldSelector ? { fieldSelector: type.fieldSelector } : undefined;
      const list = await client.list<KObject>(type, namespace, { signal, query });
      this.slots.set(kind, { items: type.keep ? (list.items ?? []).map(type.keep) : (list.items ?? []) });
    } catch (err) {
      const e = err as KubeApiError | Error;
      if (kind === 'namespaces') {
        this.namespaceSlot = e instanceof KubeApiError && e.isNotFound ? {} : { error: e };
      } else if (e instanceof KubeApiError && e.isNotFound && type.group !== '') {
        // A 404 on a list means the CRD is not installed: an empty answer, flagged.
        this.slots.set(kind, { items: [], notInstalled: true });
      } else {
        this.slots.set(kind, { error: e });
      }
    }
  }

  /** Builds a snapshot from plain data (unit tests, fixtures). */
  static fromFixture(
    namespace: string,
    data: Partial<Record<ResourceName, KObject[] | Error>> & { namespaceObject?: KObject | Error | null },
  ): Snapshot {
    const snap = new Snapshot(namespace);
    for (const [k, v] of Object.entries(data)) {
      if (k === 'namespaceObject') continue;
      const keep = RESOURCES[k as ResourceName]?.keep;
      snap.slots.set(
        k as ResourceName,
        v instanceof Error ? { error: v } : { items: keep ? (v as KObject[]).map(keep) : (v as KObject[]) },
      );
    }
    const ns = data.namespaceObject;
    if (ns instanceof Error) snap.namespaceSlot = { error: ns };
    else if (ns === null) snap.namespaceSlot = {};
    else snap.namespaceSlot = { object: ns ?? { metadata: { name: namespace } } };
    return snap;
  }

  /** The network error every read failed with (the API server did not answer at all), if so. */
  unreachable(): KubeApiError | undefined {
    const errors = [...this.slots.values(), ...(this.namespaceSlot ? [this.namespaceSlot] : [])].map((s) =>
      'error' in s ? s.error : undefined,
    );
    if (!errors.length || errors.some((e) => !(e instanceof KubeApiError) || e.status !== 0)) return undefined;
    return errors[0] as KubeApiError;
  }

  /** All objects of a kind; throws the read error if the kind could not be listed. */
  list(kind: ResourceName): KObject[] {
    const slot = this.slots.get(kind);
    if (!slot) throw new Error(`internal: ${kind} was not loaded; add it to the check's needs`);
    if ('error' in slot) throw slot.error;
    return slot.items;
  }

  find(kind: ResourceName, name: string | undefined): KObject | undefined {
    if (!name) return undefined;
    return this.list(kind).find((o) => o.metadata?.name === name);
  }

  /** True when the kind's CRD is not installed in the cluster. */
  notInstalled(kind: ResourceName): boolean {
    const slot = this.slots.get(kind);
    return !!slot && 'items' in slot && !!slot.notInstalled;
  }

  /** The namespace object, undefined when it does not exist; throws the read error otherwise. */
  namespaceObject(): KObject | undefined {
    if (!this.namespaceSlot) throw new Error("internal: namespaces was not loaded; add it to the check's needs");
    if ('error' in this.namespaceSlot) throw this.namespaceSlot.error;
    return this.namespaceSlot.object;
  }
}
