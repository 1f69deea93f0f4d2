import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';

/** The flywheel's own stores and the directories they keep their data in (the images' defaults). */
export const FlywheelStateSection = z
  .object({
    stores: z
      .array(z.object({ name: z.string(), deployment: z.string(), dataPaths: z.array(z.string()).min(1) }))
      .default([
        { name: 'MongoDB', deployment: 'df-mongodb', dataPaths: ['/data/db'] },
        { name: 'Redis', deployment: 'df-redis', dataPaths: ['/data'] },
        { name: 'Elasticsearch', deployment: 'df-elasticsearch', dataPaths: ['/usr/share/elasticsearch/data'] },
      ]),
  })
  .prefault({});

const sections = { flywheelState: FlywheelStateSection };
type Config = ConfigOf<typeof sections>;
type Store = Config['flywheelState']['stores'][number];

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: unknown;
  hostPath?: { path: string };
  [source: string]: unknown;
}
interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
}

/** Where one store keeps its data: on a claim (kept), or somewhere lost with the pod. */
export interface StoreVerdict {
  store: string;
  deployment?: string;
  /** undefined when the store's Deployment is not in the namespace. */
  keeps?: 'claim' | 'node' | 'emptyDir' | 'container' | 'other';
  detail: string;
}

/** The Deployment named `<prefix>` or `<prefix>-<anything>` (charts add -deployment). */
const deploymentOf = (snapshot: Snapshot, prefix: string) =>
  snapshot.list('deployments').find((d) => d.metadata?.name === prefix || d.metadata?.name?.startsWith(`${prefix}-`));

const covers = (mountPath: string, dataPath: string) =>
  dataPath === mountPath || dataPath.startsWith(`${mountPath.replace(/\/$/, '')}/`);

export function storeVerdict(store: Store, d: KObject | undefined): StoreVerdict {
  if (!d) return { store: store.name, detail: `no Deployment ${store.deployment}[-*] in the namespace` };
  const name = d.metadata!.name!;
  const spec = d.spec?.template?.spec ?? {};
  const volumes = (spec.volumes ?? []) as Volume[];
  const containers = (spec.containers ?? []) as Array<{ name: string; volumeMounts?: Mount[] }>;
  const mounts = containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => ({ ...m, container: c.name })));
  // Every data directory is judged (a store may keep one on a PVC and another on an emptyDir); the
  // store keeps its data only when all of them are on claims.
  const perPath = store.dataPaths.map((path): StoreVerdict => {
    // The deepest mount that holds the data directory decides where the data lives.
    const mount = mounts
      .filter((m) => covers(m.mountPath, path))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    if (!mount)
      return {
        store: store.name,
        deployment: name,
        keeps: 'container',
        detail: `${path} is on no volume: the data lives in the container's writable layer and is gone when the pod is replaced`,
      };
    const vol = volumes.find((v) => v.name === mount.name);
    const where = `${path} is on volume ${mount.name} (mounted at ${mount.mountPath} in ${mount.container})`;
    if (vol?.persistentVolumeClaim)
      return {
        store: store.name,
        deployment: name,
        keeps: 'claim',
        detail: `${where}: PVC ${vol.persistentVolumeClaim.claimName}`,
      };
    if (vol?.emptyDir)
      return {
        store: store.name,
        deployment: name,
        keeps: 'emptyDir',
        detail: `${where}: an emptyDir, deleted with the pod`,
      };
    if (vol?.hostPath)
      return {
        store: store.name,
        deployment: name,
        keeps: 'node',
        detail: `${where}: hostPath ${vol.hostPath.path}, kept only while the pod lands on the same node`,
      };
    return {
      store: store.name,
      deployment: name,
      keeps: 'other',
      detail: `${where}: ${
        vol
          ? Object.keys(vol)
              .filter((k) => k !== 'name')
              .join(', ')
          : 'not declared'
      }, not a persistent volume`,
    };
  });
  const lost = perPath.find((v) => v.keeps !== 'claim');
  if (lost) return lost;
  return { store: store.name, deployment: name, keeps: 'claim', detail: perPath.map((v) => v.detail).join('; ') };
}

export function judgeState(verdicts: StoreVerdict[], config: Config): Finding {
  const found = verdicts.filter((v) => v.deployment);
  const evidence: Evidence[] = verdicts.map((v) => ({
    label: v.deployment ? `${v.store} (Deployment ${v.deployment})` : v.store,
    value: v.detail,
    tone: !v.deployment ? 'info' : v.keeps === 'claim' ? 'good' : v.keeps === 'node' ? 'info' : 'bad',
  }));
  if (!found.length)
    return coded(
      codes,
      'FD-STATE-001',
      { deployments: config.flywheelState.stores.map((s) => s.deployment).join(', ') },
      { evidence },
    );
  const lost = found.filter((v) => v.keeps === 'container' || v.keeps === 'emptyDir' || v.keeps === 'other');
  if (lost.length)
    return coded(
      codes,
      'FD-STATE-002',
      {
        stores: `${lost.map((v) => v.store).join(', ')} ${lost.length > 1 ? 'keep' : 'keeps'} data that a pod restart loses`,
        their: lost.length > 1 ? 'their' : 'its',
      },
      { evidence },
    );
  const node = found.filter((v) => v.keeps === 'node');
  if (node.length) return coded(codes, 'FD-STATE-003', { stores: node.map((v) => v.store).join(', ') }, { evidence });
  return {
    status: 'pass',
    summary: `${found.map((v) => v.store).join(', ')} keep their data on persistent volume claims`,
    evidence,
  };
}

export default defineCheck<typeof sections, StoreVerdict[]>({
  id: 'flywheel-state-persistence',
  title: "The flywheel's MongoDB, Redis and Elasticsearch keep their data on volumes",
  area: 'Data Flywheel',
  config: sections,
  codes,
  needs: ['deployments'],
  explain: {
    symptom:
      'Flywheel history is gone, or jobs stay "running" forever, after a MongoDB, Redis or Elasticsearch pod was restarted or rescheduled.',
    rootCause:
      "The Data Flywheel chart's stores run as plain Deployments; without persistence enabled their data directory is the container's own filesystem or an emptyDir, both deleted with the pod.",
    manualFix: (c) => [
      ...c.flywheelState.stores.map(
        (s) =>
          `oc set volume deployment/${s.deployment}-deployment -n ${c.namespace} --add --name=data --type=pvc --claim-size=10Gi --mount-path=${s.dataPaths[0]}   # or enable persistence for ${s.name} in the Data Flywheel chart values`,
      ),
    ],
  },
  locate: (snapshot, config) =>
    config.flywheelState.stores.map((s) => storeVerdict(s, deploymentOf(snapshot, s.deployment))),
  judge: ({ subject, config }) => judgeState(subject, config),
});
