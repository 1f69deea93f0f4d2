import os from 'node:os';
import type { KubeClient } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import type { KObject } from '../k8s/object';
import { RESOURCES, resourcePath } from '../k8s/resources';

const microTime = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * One leader among replicas, by a coordination.k8s.io Lease: the holder renews it; another replica
 * takes it once `renewTime + leaseDurationSeconds` has passed. Every write carries the Lease's
 * resourceVersion, so two replicas never both win the same turn.
 */
export class LeaderLease {
  readonly identity: string;
  private leading = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name = 'flywheel-doctor-leader',
    readonly durationSeconds = 15,
    identity?: string,
  ) {
    this.identity = identity ?? `${os.hostname()}-${process.pid}`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private body(rv?: string, acquireTime?: string): KObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(rv ? { resourceVersion: rv } : {}),
        labels: { 'app.kubernetes.io/managed-by': 'flywheel-doctor' },
      },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.durationSeconds,
        acquireTime: acquireTime ?? microTime(),
        renewTime: microTime(),
      },
    };
  }

  /** Acquires or renews; resolves whether this replica leads now. */
  async tryAcquire(): Promise<boolean> {
    try {
      let current: KObject | undefined;
      try {
        current = await this.client.get<KObject>(RESOURCES.leases, this.namespace, this.name);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.isNotFound)) throw e;
      }
      if (!current) {
        await this.client.create(RESOURCES.leases, this.namespace, this.body());
        return (this.leading = true);
      }
      const mine = current.spec?.holderIdentity === this.identity;
      const renewed = Date.parse(current.spec?.renewTime ?? '');
      const expired =
        !Number.isFinite(renewed) ||
        renewed + (current.spec?.leaseDurationSeconds ?? this.durationSeconds) * 1000 < Date.now();
      if (!mine && !expired) return (this.leading = false);
      await this.client.request('PUT', resourcePath(RESOURCES.leases, this.namespace, this.name), {
        body: this.body(current.metadata?.resourceVersion, mine ? current.spec?.acquireTime : undefined),
      });
      return (this.leading = true);
    } catch (e) {
      // A conflict means another replica won this turn; any other failure: not leading until it answers.
      if (!(e instanceof KubeApiError && e.isConflict)) this.leading = false;
      return (this.leading = false);
    }
  }

  /** Steps down at shutdown so another replica need not wait for the lease to expire. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.client.delete(RESOURCES.leases, this.namespace, this.name).catch(() => undefined);
  }
}
