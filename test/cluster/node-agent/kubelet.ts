/**
 * A minimal kubelet for node `fd-local-node`. Pods that must do real work (they mount a PVC backed
 * by a local PersistentVolume, or carry the annotation sim.flywheel-doctor.dev/exec) really run
 * their container command in a private mount namespace + chroot with their volumes bind-mounted and
 * their runAsUser/runAsGroup applied; exit codes, restarts with back-off and CrashLoopBackOff are
 * reported in pod status; logs are served to the API server over HTTPS (`GET /containerLogs/...`,
 * so `oc logs` and the pods/log API work). Other pods scheduled here just turn Running/Ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { KubeApiError } from '../../../lib/k8s/errors';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { FILES, LOCAL_NODE, PORTS } from '../paths';
import { client, log, markersDir, podsDir, sleep } from './common';

const NODES = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const PERSISTENT_VOLUMES = {
  group: '',
  version: 'v1',
  plural: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
};

export async function registerNode() {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: LOCAL_NODE,
      labels: {
        'kubernetes.io/hostname': LOCAL_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'local-exec',
      },
    },
  };
  try {
    await client.create(NODES, undefined, node);
  } catch (e) {
    if (!(e instanceof KubeApiError && e.isConflict)) throw e;
  }
  await updateNodeStatus();
}

export async function updateNodeStatus() {
  const now = new Date().toISOString();
  const cond = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: reason,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  await client.request('PATCH', `/api/v1/nodes/${LOCAL_NODE}/status`, {
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        conditions: [
          cond('Ready', 'True', 'KubeletReady'),
          cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        ],
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: LOCAL_NODE },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: PORTS.localKubelet } },
        capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
        nodeInfo: {
          kubeletVersion: 'fd-local-node-agent',
          containerRuntimeVersion: 'chroot://local',
          architecture: 'amd64',
          operatingSystem: 'linux',
          osImage: 'local',
          kernelVersion: '',
          kubeProxyVersion: '',
          machineID: '',
          systemUUID: '',
          bootID: '',
        },
      },
    },
  });
}

export async function heartbeat() {
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${LOCAL_NODE}`;
  const renewTime = new Date().toISOString().replace('Z', '000Z');
  try {
    await client.request('PATCH', leasePath, {
      contentType: 'application/merge-patch+json',
      body: { spec: { renewTime, holderIdentity: LOCAL_NODE, leaseDurationSeconds: 40 } },
    });
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound) {
      await client.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: LOCAL_NODE },
          spec: { renewTime, holderIdentity: LOCAL_NODE, leaseDurationSeconds: 40 },
        },
      });
    } else throw e;
  }
}

// ---------------------------------------------------------------- pods
interface Tracked {
  pod: KObject;
  dir: string;
  proc?: ChildProcess;
  restarts: number;
  stopped: boolean;
  exec: boolean;
}
export const tracked = new Map<string, Tracked>(); // by pod uid

function podKey(p: KObject) {
  return `${p.metadata?.namespace}/${p.metadata?.name}`;
}

async function patchPodStatus(p: KObject, status: Record<string, unknown>) {
  try {
    await client.request('PATCH', `/api/v1/namespaces/${p.metadata!.namespace}/pods/${p.metadata!.name}/status`, {
      contentType: 'application/merge-patch+json',
      body: { status },
    });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.isNotFound))
      log(`status update for ${podKey(p)} failed: ${(e as Error).message}`);
  }
}

const conditions = (ready: boolean) => {
  const now = new Date().toISOString();
  return [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
  ];
};

async function resolveVolumes(
  p: KObject,
  dir: string,
): Promise<Array<{ host: string; mountPath: string; readOnly: boolean }>> {
  const mounts: Array<{ host: string; mountPath: string; readOnly: boolean }> = [];
  const container = p.spec.containers[0];
  for (const vm of container.volumeMounts ?? []) {
    const vol = (p.spec.volumes ?? []).find((v: { name: string }) => v.name === vm.name);
    if (!vol) continue;
    let host: string | undefined;
    if (vol.persistentVolumeClaim) {
      const pvc = await client.get<KObject>(
        RESOURCES.persistentvolumeclaims,
        p.metadata!.namespace,
        vol.persistentVolumeClaim.claimName,
      );
      const pv = await client.get<KObject>(PERSISTENT_VOLUMES, undefined, pvc.spec.volumeName);
      host = pv.spec.local?.path ?? pv.spec.hostPath?.path;
    } else if (vol.emptyDir) {
      host = path.join(dir, 'volumes', vol.name);
      fs.mkdirSync(host, { recursive: true, mode: 0o777 });
      fs.chmodSync(host, 0o777);
    }
    if (host)
      mounts.push({ host, mountPath: vm.mountPath, readOnly: !!vm.readOnly || !!vol.persistentVolumeClaim?.readOnly });
  }
  return mounts;
}

/** Container env as the kubelet resolves it: literal values, Secret and ConfigMap keys. */
async function resolveEnv(
  ns: string,
  env: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    const sk = e.valueFrom?.secretKeyRef;
    if (sk) {
      const secret = await client.get<KObject>(
        { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
        ns,
        sk.name,
      );
      const v = secret.data?.[sk.key];
      if (v !== undefined) out[e.name] = Buffer.from(v, 'base64').toString('utf8');
    }
    const ck = e.valueFrom?.configMapKeyRef;
    if (ck) {
      const v = (await client.get<KObject>(RESOURCES.configmaps, ns, ck.name)).data?.[ck.key];
      if (v !== undefined) out[e.name] = v;
    }
  }
  return out;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What the kubelet keeps of a termination message, and of the log it falls back to (kuberuntime). */
const MESSAGE_BYTES = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

/**
 * Runs the first container's command once in a private mount namespace; resolves with its exit code
 * and termination message. Like the kubelet, a file of its own is mounted at the container's
 * terminationMessagePath and its first 4096 bytes become the message; under FallbackToLogsOnError an
 * empty message of a failed container is the log's tail. Paths under /dev are not emulated: this
 * emulation binds the host's /dev, where no per-container file can be placed.
 */
async function runContainerOnce(t: Tracked): Promise<{ exitCode: number; message?: string }> {
  const p = t.pod;
  const c = p.spec.containers[0];
  const root = path.join(t.dir, 'root');
  fs.mkdirSync(root, { recursive: true });
  const messagePath: string = c.terminationMessagePath ?? '/dev/termination-log';
  const messageFile = messagePath.startsWith('/dev/') ? undefined : path.join(t.dir, `${c.name}.termination-log`);
  if (messageFile) {
    fs.writeFileSync(messageFile, '');
    fs.chmodSync(messageFile, 0o666); // the kubelet's file is writable by any UID the container runs as
  }
  const mounts = await resolveVolumes(p, t.dir);
  const sc = { ...(p.spec.securityContext ?? {}), ...(c.securityContext ?? {}) };
  const uid = sc.runAsUser ?? 0;
  const gid = sc.runAsGroup ?? (uid === 0 ? 0 : uid);
  const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])];
  if (argv.length === 0) argv.push('sleep', 'infinity');
  const setup = [
    'set -e',
    `mount -t tmpfs tmpfs ${q(root)}`,
    ...['/bin', '/sbin', '/usr', '/lib', '/lib64', '/etc']
      .filter((d) => fs.existsSync(d))
      .map(
        (d) =>
          `mkdir -p ${q(root + d)} && mount --rbind ${d} ${q(root + d)} && mount -o remount,bind,ro ${q(root + d)}`,
      ),
    `mkdir -p ${q(root + '/tmp')} ${q(root + '/proc')} ${q(root + '/dev')} ${q(root + '/run/fd-sim')} && chmod 1777 ${q(root + '/tmp')}`,
    `mount -t proc proc ${q(root + '/proc')} || true`,
    `mount --rbind /dev ${q(root + '/dev')}`,
    `mount --bind ${q(markersDir)} ${q(root + '/run/fd-sim')}`,
    ...mounts.map(
      (m) =>
        `mkdir -p ${q(root + m.mountPath)} && mount --bind ${q(m.host)} ${q(root + m.mountPath)}${m.readOnly ? ` && mount -o remount,bind,ro ${q(root + m.mountPath)}` : ''}`,
    ),
    ...(messageFile
      ? [
          `mkdir -p ${q(path.dirname(root + messagePath))} && touch ${q(root + messagePath)} && mount --bind ${q(messageFile)} ${q(root + messagePath)}`,
        ]
      : []),
    `cd ${q(root)}`,
    `exec chroot . setpriv --reuid=${uid} --regid=${gid} --clear-groups -- ${argv.map(q).join(' ')}`,
  ].join('\n');
  const logFile = path.join(t.dir, `${c.name}.log`);
  if (fs.existsSync(logFile)) fs.renameSync(logFile, path.join(t.dir, `${c.name}.previous.log`));
  const out = fs.openSync(logFile, 'a');
  const env = await resolveEnv(p.metadata!.namespace!, c.env ?? []);
  const proc = spawn('unshare', ['--mount', '--fork', '--propagation', 'private', 'sh', '-c', setup], {
    stdio: ['ignore', out, out],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/tmp',
      HOSTNAME: p.metadata!.name!,
      ...env,
    } as unknown as NodeJS.ProcessEnv,
  });
  t.proc = proc;
  fs.writeFileSync(path.join(FILES.sim, `pod-${p.metadata!.uid}.pid`), String(proc.pid));
  return new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      fs.closeSync(out);
      fs.rmSync(path.join(FILES.sim, `pod-${p.metadata!.uid}.pid`), { force: true });
      const exitCode = code ?? (signal ? 137 : 1);
      let message = messageFile ? fs.readFileSync(messageFile).subarray(0, MESSAGE_BYTES).toString('utf8') : '';
      if (!message && exitCode !== 0 && c.terminationMessagePolicy === 'FallbackToLogsOnError') {
        const tail = fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .slice(-FALLBACK_LOG_LINES - 1)
          .join('\n');
        message = Buffer.from(tail).subarray(-FALLBACK_LOG_BYTES).toString('utf8');
      }
      resolve({ exitCode, message: message || undefined });
    });
  });
}

async function runPod(t: Tracked) {
  const p = t.pod;
  const c = p.spec.containers[0];
  const policy = p.spec.restartPolicy ?? 'Always';
  const image = c.image;
  let lastState: Record<string, unknown> = {};
  for (;;) {
    if (t.stopped) return;
    const startedAt = new Date().toISOString();
    const running = (ready: boolean) =>
      patchPodStatus(p, {
        phase: 'Running',
        hostIP: '127.0.0.1',
        podIP: '127.0.0.1',
        startTime: p.status?.startTime ?? startedAt,
        conditions: conditions(ready),
        containerStatuses: [
          {
            name: c.name,
            image,
            imageID: image,
            ready,
            started: true,
            restartCount: t.restarts,
            state: { running: { startedAt } },
            lastState,
          },
        ],
      });
    /** The container's status while it is not running (exited, or waiting to restart). */
    const stoppedStatus = (state: Record<string, unknown>) => ({
      name: c.name,
      image,
      imageID: image,
      ready: false,
      started: false,
      restartCount: t.restarts,
      state,
      lastState,
    });
    await running(false);
    // Like the kubelet's status sync, a container counts as ready only once it has kept running a moment,
    // so a container that exits at once never flashes Ready.
    let exited = false;
    const readyTimer = setTimeout(() => {
      if (!exited && !t.stopped) void running(true);
    }, 1500);
    const { exitCode, message } = await runContainerOnce(t);
    exited = true;
    clearTimeout(readyTimer);
    if (t.stopped) return;
    const finishedAt = new Date().toISOString();
    const terminated = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt,
    };
    if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
      await patchPodStatus(p, {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: conditions(false),
        containerStatuses: [stoppedStatus({ terminated })],
      });
      return;
    }
    // Restart with back-off (kubelet: 10 s doubling to 5 min; compressed here to 1 s .. 10 s).
    t.restarts += 1;
    lastState = { terminated };
    const backoff = Math.min(10_000, 1000 * 2 ** Math.min(t.restarts - 1, 4));
    await patchPodStatus(p, {
      phase: 'Running',
      conditions: conditions(false),
      containerStatuses: [
        stoppedStatus({
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${c.name} pod=${p.metadata!.name}`,
          },
        }),
      ],
    });
    await sleep(backoff);
  }
}

function shouldExec(p: KObject): boolean {
  if (p.metadata?.annotations?.['sim.flywheel-doctor.dev/exec'] === 'true') return true;
  return (p.spec.volumes ?? []).some((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
}

/** Calls `changed` on every change to a pod bound to this node, re-watching when the watch ends. */
export function watchPods(changed: () => void): void {
  const fieldSelector = `spec.nodeName=${LOCAL_NODE}`;
  void (async () => {
    for (;;) {
      try {
        const list = await client.request<{ metadata?: { resourceVersion?: string } }>('GET', '/api/v1/pods', {
          query: { fieldSelector, limit: 1 },
        });
        changed(); // whatever changed while no watch was open
        const opened = Date.now();
        await client.watchObject(
          RESOURCES.pods,
          '',
          undefined,
          list.metadata?.resourceVersion ?? '',
          () => {
            changed();
            return false;
          },
          { timeoutSeconds: 300, fieldSelector },
        );
        if (Date.now() - opened < 1000) await sleep(1000); // ended at once: do not spin
      } catch (e) {
        log(`watch pods: ${(e as Error).message}`);
        await sleep(1000);
      }
    }
  })();
}

export async function syncPods() {
  const list = await client.request<{ items: KObject[] }>('GET', '/api/v1/pods', {
    query: { fieldSelector: `spec.nodeName=${LOCAL_NODE}` },
  });
  const seen = new Set<string>();
  for (const p of list.items) {
    const uid = p.metadata!.uid!;
    seen.add(uid);
    let t = tracked.get(uid);
    if (p.metadata?.deletionTimestamp) {
      if (t) {
        t.stopped = true;
        t.proc?.kill('SIGKILL');
      }
      try {
        await client.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, {
          query: { gracePeriodSeconds: 0 },
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
        });
      } catch {
        /* already gone */
      }
      continue;
    }
    if (!t) {
      const dir = path.join(podsDir, uid);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'ref'), podKey(p));
      t = { pod: p, dir, restarts: 0, stopped: false, exec: shouldExec(p) };
      tracked.set(uid, t);
      const tt = t;
      if (t.exec) {
        log(`running ${podKey(p)}`);
        void runPod(tt).catch(async (e) => {
          log(`pod ${podKey(p)} failed to start: ${(e as Error).message}`);
          await patchPodStatus(p, {
            phase: 'Pending',
            containerStatuses: [
              {
                name: p.spec.containers[0].name,
                image: p.spec.containers[0].image,
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: 'CreateContainerError', message: (e as Error).message } },
              },
            ],
          });
        });
      } else {
        const now = new Date().toISOString();
        await patchPodStatus(p, {
          phase: 'Running',
          hostIP: '127.0.0.1',
          podIP: '127.0.0.1',
          startTime: now,
          conditions: conditions(true),
          containerStatuses: p.spec.containers.map((c: { name: string; image: string }) => ({
            name: c.name,
            image: c.image,
            imageID: c.image,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          })),
        });
      }
    }
  }
  for (const [uid, t] of tracked) {
    if (!seen.has(uid)) {
      t.stopped = true;
      t.proc?.kill('SIGKILL');
      tracked.delete(uid);
      setTimeout(() => fs.rmSync(t.dir, { recursive: true, force: true }), 60_000).unref();
    }
  }
}

// ---------------------------------------------------------------- kubelet log server
function findPodDir(ns: string, name: string): string | undefined {
  for (const t of tracked.values()) if (t.pod.metadata?.namespace === ns && t.pod.metadata?.name === name) return t.dir;
  return undefined;
}

export function startLogServer() {
  const srv = https.createServer(
    {
      key: fs.readFileSync(path.join(FILES.pki, 'kubelet.key')),
      cert: fs.readFileSync(path.join(FILES.pki, 'kubelet.crt')),
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const m = url.pathname.match(/^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/);
      if (!m) {
        res.writeHead(404).end('not found');
        return;
      }
      const [, ns, name, container] = m.map(decodeURIComponent) as [string, string, string, string];
      const dir = findPodDir(ns, name);
      const file =
        dir && path.join(dir, `${container}${url.searchParams.get('previous') === 'true' ? '.previous' : ''}.log`);
      if (!file || !fs.existsSync(file)) {
        res
          .writeHead(dir ? 400 : 404)
          .end(
            dir
              ? `previous terminated container "${container}" in pod "${name}" not found`
              : `pod ${ns}/${name} not found on ${LOCAL_NODE}`,
          );
        return;
      }
      let text = fs.readFileSync(file, 'utf8');
      const tailLines = Number(url.searchParams.get('tailLines') ?? '');
      if (tailLines > 0)
        text =
          text
            .split('\n')
            .filter((l, i, a) => i < a.length - 1 || l !== '')
            .slice(-tailLines)
            .join('\n') + '\n';
      const limit = Number(url.searchParams.get('limitBytes') ?? '');
      if (limit > 0) text = text.slice(0, limit);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(text);
    },
  );
  srv.listen(PORTS.localKubelet, '127.0.0.1');
}
