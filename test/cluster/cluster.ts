/**
 * Local Kubernetes control plane for tests and the demo: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler (real binaries built from pinned modules), kwok as the
 * kubelet for a fake node, and the local node agent (test/cluster/node-agent/main.ts) that really runs the
 * pods that must do work (PVC probes, chown, a crash-looping worker), serves their logs, emulates
 * the NIM operator's Deployment rendering and runs nginx for the gateway.
 *
 *   tsx test/cluster/cluster.ts up | down | status | seed <scenario> [--namespace ns]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { binDir, CLUSTER_DIR, FILES, KWOK_NODE, PORTS, REPO_ROOT, TOKENS, serviceOverridesEnv } from './paths';
import { SCENARIO_NAMES, seedScenario } from './seed';

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'sim'] as const;
type Component = (typeof COMPONENTS)[number];

function log(msg: string) {
  process.stderr.write(`[cluster] ${msg}\n`);
}

function openssl(args: string[]) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA plus server and client certificates; client identity = CN (user) and O (groups). */
function ensurePki() {
  const d = FILES.pki;
  if (fs.existsSync(path.join(d, 'done'))) return;
  fs.mkdirSync(d, { recursive: true });
  const p = (f: string) => path.join(d, f);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '3650',
    '-subj',
    '/CN=flywheel-doctor-local-ca',
  ]);
  const issue = (name: string, subj: string, ext: string) => {
    fs.writeFileSync(p(`${name}.ext`), ext);
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      subj,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p(`${name}.crt`),
      '-days',
      '3650',
      '-extfile',
      p(`${name}.ext`),
    ]);
  };
  const serverExt =
    'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n';
  issue('apiserver', '/CN=kube-apiserver', serverExt);
  issue('kubelet', '/CN=fd-local-node', serverExt);
  const clientExt = 'extendedKeyUsage=clientAuth\n';
  issue('admin', '/O=system:masters/CN=admin', clientExt);
  issue('kcm', '/CN=system:kube-controller-manager', clientExt);
  issue('scheduler', '/CN=system:kube-scheduler', clientExt);
  issue('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', clientExt);
  openssl(['genrsa', '-out', p('sa.key'), '2048']);
  openssl(['rsa', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')]);
  fs.writeFileSync(
    p('tokens.csv'),
    Object.values(TOKENS)
      .map((t) => `${t.token},${t.user},${t.user}-uid,"${t.group}"`)
      .join('\n') + '\n',
  );
  fs.writeFileSync(path.join(d, 'done'), '');
}

function kubeconfig(
  user: { cert?: string; key?: string; token?: string },
  name: string,
  namespace = 'flywheel',
): string {
  const ca = fs.readFileSync(path.join(FILES.pki, 'ca.crt')).toString('base64');
  const auth = user.token
    ? `    token: ${user.token}`
    : `    client-certificate-data: ${fs.readFileSync(user.cert!).toString('base64')}\n    client-key-data: ${fs.readFileSync(user.key!).toString('base64')}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: fd-local
  cluster:
    server: https://127.0.0.1:${PORTS.apiserver}
    certificate-authority-data: ${ca}
users:
- name: ${name}
  user:
${auth}
contexts:
- name: ${name}@fd-local
  context: { cluster: fd-local, user: ${name}, namespace: ${namespace} }
current-context: ${name}@fd-local
`;
}

function writeKubeconfigs() {
  const p = (f: string) => path.join(FILES.pki, f);
  fs.writeFileSync(FILES.adminKubeconfig, kubeconfig({ cert: p('admin.crt'), key: p('admin.key') }, 'admin'), {
    mode: 0o600,
  });
  fs.writeFileSync(
    path.join(CLUSTER_DIR, 'kubeconfig-kcm'),
    kubeconfig({ cert: p('kcm.crt'), key: p('kcm.key') }, 'kcm'),
    { mode: 0o600 },
  );
  fs.writeFileSync(
    path.join(CLUSTER_DIR, 'kubeconfig-scheduler'),
    kubeconfig({ cert: p('scheduler.crt'), key: p('scheduler.key') }, 'scheduler'),
    { mode: 0o600 },
  );
  fs.writeFileSync(FILES.readonlyKubeconfig, kubeconfig({ token: TOKENS.readonly.token }, TOKENS.readonly.user), {
    mode: 0o600,
  });
  fs.writeFileSync(FILES.editorKubeconfig, kubeconfig({ token: TOKENS.editor.token }, TOKENS.editor.user), {
    mode: 0o600,
  });
}

function pidFile(c: Component) {
  return path.join(FILES.pids, `${c}.pid`);
}

function pidOf(c: Component): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(c), 'utf8'));
    process.kill(pid, 0);
    // A killed process nobody has reaped yet (its parent exited; not every init reaps) is a zombie: gone.
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    return state === 'Z' ? undefined : pid;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function start(c: Component, cmd: string, args: string[], env: Record<string, string> = {}) {
  if (pidOf(c)) return;
  const out = fs.openSync(path.join(FILES.logs, `${c}.log`), 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
  });
  child.unref();
  fs.writeFileSync(pidFile(c), String(child.pid));
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number, component?: Component) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (component && !pidOf(component)) {
      throw new Error(
        `${component} exited while waiting for ${what}. Last log lines (${path.join(FILES.logs, component + '.log')}):\n${tail(path.join(FILES.logs, `${component}.log`))}`,
      );
    }
    try {
      if (await fn()) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${component ? `; see ${path.join(FILES.logs, component + '.log')}:\n${tail(path.join(FILES.logs, `${component}.log`))}` : ''}`,
  );
}

function kubectl(bin: string, args: string[], input?: string): string {
  return execFileSync(path.join(bin, 'kubectl'), ['--kubeconfig', FILES.adminKubeconfig, ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();
}

async function apiReady(): Promise<boolean> {
  try {
    const out = execFileSync('curl', [
      '-sf',
      '--max-time',
      '2',
      '--cacert',
      path.join(FILES.pki, 'ca.crt'),
      '--cert',
      path.join(FILES.pki, 'admin.crt'),
      '--key',
      path.join(FILES.pki, 'admin.key'),
      `https://127.0.0.1:${PORTS.apiserver}/readyz`,
    ]).toString();
    return out.trim() === 'ok';
  } catch {
    return false;
  }
}

function kwokConfig(bin: string): string {
  const stages = path.join(bin, 'kwok-stages');
  const files = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ];
  const out = path.join(CLUSTER_DIR, 'kwok.yaml');
  fs.writeFileSync(out, files.map((f) => fs.readFileSync(path.join(stages, f), 'utf8').trim()).join('\n---\n') + '\n');
  return out;
}

export async function up(): Promise<void> {
  const t0 = Date.now();
  for (const d of [CLUSTER_DIR, FILES.logs, FILES.pids, FILES.pv, FILES.sim]) fs.mkdirSync(d, { recursive: true });
  if (COMPONENTS.every((c) => pidOf(c)) && (await apiReady())) {
    log('already running');
    printUsage();
    return;
  }
  const bin = binDir();
  ensurePki();
  // Audit log of writes: tests prove a fix is attributed to the user whose token it ran with.
  fs.writeFileSync(
    path.join(CLUSTER_DIR, 'audit-policy.yaml'),
    `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [get, list, watch]
  - level: None
    resources: [{ group: coordination.k8s.io }, { group: "", resources: [nodes, nodes/status, events, pods/status] }]
  - level: Metadata
`,
  );
  writeKubeconfigs();
  const p = (f: string) => path.join(FILES.pki, f);

  start('etcd', path.join(bin, 'etcd'), [
    '--name=fd',
    `--data-dir=${path.join(CLUSTER_DIR, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-cluster=fd=http://127.0.0.1:${PORTS.etcdPeer}`,
    '--unsafe-no-fsync',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ]);
  await waitFor(
    'etcd health',
    () =>
      execFileSync('curl', ['-sf', '--max-time', '2', `http://127.0.0.1:${PORTS.etcdClient}/health`])
        .toString()
        .includes('true'),
    30_000,
    'etcd',
  );

  start('kube-apiserver', path.join(bin, 'kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${PORTS.apiserver}`,
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${p('apiserver.crt')}`,
    `--tls-private-key-file=${p('apiserver.key')}`,
    `--client-ca-file=${p('ca.crt')}`,
    `--token-auth-file=${p('tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${p('sa.pub')}`,
    `--service-account-signing-key-file=${p('sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    `--kubelet-client-certificate=${p('apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${p('apiserver-kubelet-client.key')}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--audit-policy-file=${path.join(CLUSTER_DIR, 'audit-policy.yaml')}`,
    `--audit-log-path=${path.join(FILES.logs, 'audit.log')}`,
    '--audit-log-maxsize=200',
    '--enable-priority-and-fairness=false',
    '--v=1',
  ]);
  await waitFor('kube-apiserver /readyz', apiReady, 90_000, 'kube-apiserver');

  start('kube-controller-manager', path.join(bin, 'kube-controller-manager'), [
    `--kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-kcm')}`,
    `--authentication-kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-kcm')}`,
    `--authorization-kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-kcm')}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${p('sa.key')}`,
    `--root-ca-file=${p('ca.crt')}`,
    `--cluster-signing-cert-file=${p('ca.crt')}`,
    `--cluster-signing-key-file=${p('ca.key')}`,
    '--controllers=*',
    '--leader-elect=false',
    // kwok posts node status about once a minute; a short grace period would flip its node to
    // Unknown and mark every pod NotReady for good (kwok does not re-ready running pods).
    '--node-monitor-grace-period=600s',
    '--concurrent-deployment-syncs=10',
    // Claims applied in the same breath as their pre-bound PV bind on the next sync: 1 s, not 15.
    '--pvclaimbinder-sync-period=1s',
    '--v=1',
  ]);
  start('kube-scheduler', path.join(bin, 'kube-scheduler'), [
    `--kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-scheduler')}`,
    `--authentication-kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-scheduler')}`,
    `--authorization-kubeconfig=${path.join(CLUSTER_DIR, 'kubeconfig-scheduler')}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--leader-elect=false',
    '--v=1',
  ]);
  start('kwok', path.join(bin, 'kwok'), [
    `--kubeconfig=${FILES.adminKubeconfig}`,
    `--config=${kwokConfig(bin)}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--cidr=10.244.0.0/24',
    '--node-ip=127.0.0.1',
    '--node-lease-duration-seconds=40',
  ]);
  // The fake node kwok manages (everything that only needs to look Running).
  kubectl(
    bin,
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Node
metadata:
  name: ${KWOK_NODE}
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { kubernetes.io/hostname: ${KWOK_NODE}, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok }
`,
  );
  start(
    'sim',
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(REPO_ROOT, 'test/cluster/node-agent/main.ts')],
    { FD_KUBECTL: path.join(bin, 'kubectl') },
  );
  await waitFor(
    'both nodes Ready',
    () => {
      const out = kubectl(bin, [
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}',
      ]);
      return (out.match(/=True/g) ?? []).length >= 2;
    },
    60_000,
    'sim',
  );
  await waitFor(
    'default service account',
    () => kubectl(bin, ['get', 'sa', 'default', '-n', 'default', '-o', 'name']).includes('default'),
    30_000,
    'kube-controller-manager',
  );
  for (const c of COMPONENTS)
    if (!pidOf(c)) throw new Error(`${c} is not running. Last log lines:\n${tail(path.join(FILES.logs, `${c}.log`))}`);
  fs.writeFileSync(
    FILES.env,
    [
      `export KUBECONFIG=${FILES.adminKubeconfig}`,
      `export FD_SERVICE_URL_OVERRIDES=${serviceOverridesEnv(PORTS.gateway)}`,
      `export PATH=${bin}:$PATH`,
    ].join('\n') + '\n',
  );
  log(`control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  printUsage();
}

function printUsage() {
  process.stdout.write(`Local cluster is up (Kubernetes API https://127.0.0.1:${PORTS.apiserver}).
  source ${FILES.env}            # KUBECONFIG, kubectl on PATH, gateway URL override
  kubectl get nodes
  read-only user:  --kubeconfig ${FILES.readonlyKubeconfig}
  editor user:     --kubeconfig ${FILES.editorKubeconfig}
  seed:            npm run cluster:seed -- broken [--namespace flywheel]
  stop:            npm run cluster:down
`);
}

export async function down(): Promise<void> {
  // Reverse order so controllers do not act on a half-stopped cluster.
  const order = [...COMPONENTS].reverse();
  for (const c of order) {
    const pid = pidOf(c);
    if (pid) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && order.some((c) => pidOf(c))) await new Promise((r) => setTimeout(r, 200));
  for (const c of order) {
    const pid = pidOf(c);
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    fs.rmSync(pidFile(c), { force: true });
  }
  // nginx and pod processes started by the node agent.
  for (const f of fs.existsSync(FILES.sim) ? fs.readdirSync(FILES.sim).filter((f) => f.endsWith('.pid')) : []) {
    try {
      process.kill(Number(fs.readFileSync(path.join(FILES.sim, f), 'utf8')), 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(path.join(FILES.sim, f), { force: true });
  }
  // State is disposable: the next `up` starts from an empty etcd so seeds are reproducible.
  fs.rmSync(path.join(CLUSTER_DIR, 'etcd'), { recursive: true, force: true });
  fs.rmSync(FILES.pv, { recursive: true, force: true });
  log('stopped');
}

function status(): number {
  let bad = 0;
  for (const c of COMPONENTS) {
    const pid = pidOf(c);
    process.stdout.write(`${c.padEnd(24)} ${pid ? `running (pid ${pid})` : 'NOT RUNNING'}\n`);
    if (!pid) {
      bad++;
      if (fs.existsSync(path.join(FILES.logs, `${c}.log`)))
        process.stdout.write(
          `  last log lines:\n${tail(path.join(FILES.logs, `${c}.log`), 8).replace(/^/gm, '    ')}\n`,
        );
    }
  }
  return bad ? 1 : 0;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'up') await up();
    else if (cmd === 'down') await down();
    else if (cmd === 'status') process.exitCode = status();
    else if (cmd === 'seed') {
      const scenario =
        rest.find((a, i) => !a.startsWith('--') && !['--namespace', '--gateway-port'].includes(rest[i - 1] ?? '')) ??
        'broken';
      const nsIdx = rest.indexOf('--namespace');
      const namespace = nsIdx >= 0 ? rest[nsIdx + 1]! : 'flywheel';
      const portIdx = rest.indexOf('--gateway-port');
      await seedScenario({
        scenario,
        namespace,
        kubeconfig: FILES.adminKubeconfig,
        gatewayPort: portIdx >= 0 ? Number(rest[portIdx + 1]) : undefined,
      });
    } else {
      process.stderr.write(
        `usage: tsx test/cluster/cluster.ts up | down | status | seed <${SCENARIO_NAMES.join('|')}> [--namespace ns] [--gateway-port N]\n`,
      );
      process.exitCode = 2;
    }
  } catch (err) {
    process.stderr.write(`[cluster] ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
