import { redactDeep } from './redact';
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import { RESOURCES } from '../k8s/resources';
import type { KObject } from '../k8s/object';
import type { Report } from './render';

/** Reports live in the cluster as labelled ConfigMaps: they survive restarts and work with replicas. */
export const REPORT_LABEL = 'flywheel-doctor.dev/report';
const PREFIX = 'flywheel-doctor-report-';
const MAX_BYTES = 900 * 1024; // ConfigMaps are capped at 1 MiB

export interface ReportSummary {
  id: string;
  createdAt: string;
  createdBy: string;
  namespace: string;
  verdict: string;
  summary: Report['run']['summary'];
}

export function newReportId(): string {
  return randomBytes(6).toString('hex');
}

export const isReportId = (id: string) => /^[a-f0-9]{12}$/.test(id);

export class ReportStore {
  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    private readonly retain = 20,
  ) {}

  /** The same store, written as another identity (the caller): RBAC decides who may share or delete. */
  as(client: KubeClient): ReportStore {
    return new ReportStore(client, this.namespace, this.retain);
  }

  async save(report: Report): Promise<void> {
    // Masked again as it is stored (a report's fixes and errors are cluster text too), so the
    // ConfigMap and every download served from it hold no credential.
    const body = JSON.stringify(redactDeep(report, [], 'report'));
    if (Buffer.byteLength(body) > MAX_BYTES)
      throw new Error(
        `the report is too large to store (${Math.round(Buffer.byteLength(body) / 1024)} KiB > ${MAX_BYTES / 1024} KiB); download it instead`,
      );
    await this.client.create(RESOURCES.configmaps, this.namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: PREFIX + report.id,
        labels: { [REPORT_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'flywheel-doctor' },
        annotations: {
          'flywheel-doctor.dev/created-at': report.createdAt,
          'flywheel-doctor.dev/created-by': report.createdBy,
          'flywheel-doctor.dev/verdict': report.run.verdict,
        },
      },
      data: { 'report.json': body },
    });
    await this.prune();
  }

  async get(id: string): Promise<Report | undefined> {
    if (!isReportId(id)) return undefined;
    try {
      const cm = await this.client.get<KObject>(RESOURCES.configmaps, this.namespace, PREFIX + id);
      return JSON.parse(cm.data?.['report.json'] ?? 'null') as Report;
    } catch (e) {
      if (e instanceof KubeApiError && e.isNotFound) return undefined;
      throw e;
    }
  }

  async list(): Promise<ReportSummary[]> {
    const list = await this.client.list<KObject>(RESOURCES.configmaps, this.namespace, {
      query: { labelSelector: `${REPORT_LABEL}=true` },
    });
    const out: ReportSummary[] = [];
    for (const cm of list.items) {
      try {
        const r = JSON.parse(cm.data?.['report.json'] ?? '') as Report;
        out.push({
          id: r.id,
          createdAt: r.createdAt,
          createdBy: r.createdBy,
          namespace: r.run.namespace,
          verdict: r.run.verdict,
          summary: r.run.summary,
        });
      } catch {
        /* a damaged report is skipped, not fatal */
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async delete(id: string): Promise<boolean> {
    if (!isReportId(id)) return false;
    try {
      await this.client.delete(RESOURCES.configmaps, this.namespace, PREFIX + id);
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.isNotFound) return false;
      throw e;
    }
  }

  /** Retention: keep the newest `retain` reports. */
  private async prune() {
    const all = await this.list();
    for (const r of all.slice(this.retain)) await this.delete(r.id);
  }
}
