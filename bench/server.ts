/** The production server (npm run build) started for a benchmark, on loopback, against the local cluster. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILES, REPO_ROOT, serviceOverridesEnv } from '../test/cluster/paths';

export interface BenchServer {
  base: string;
  /** Resident memory of the server process, MiB. */
  rss(): number;
  /**
   * What the server's JS heap holds after a full collection (a heap snapshot forces one), MiB:
   * the program's values (objects, arrays, strings, closures, buffers) apart from V8's own
   * (compiled code, its dependency lists and other internal structures, which grow as the JIT
   * optimises more of the code).
   */
  heapSnapshot(): Promise<{ totalMiB: number; codeMiB: number; objectsMiB: number }>;
  stop(): void;
  /** SIGKILL: the server dies as a crash or an OOM kill would end it. */
  kill(): void;
  /** What the server wrote to stdout and stderr so far. */
  log(): string;
}

/**
 * Starts .next/standalone/server.js as the image does (same V8 flags as the Dockerfile's CMD) and
 * waits until it answers; undefined when there is no build. --heapsnapshot-signal only serves
 * heapSnapshot().
 */
export async function startServer(opts: {
  port: number;
  namespace: string;
  gatewayPort: number;
  env?: Record<string, string>;
}): Promise<BenchServer | undefined> {
  const standalone = path.join(REPO_ROOT, '.next/standalone/server.js');
  if (!fs.existsSync(standalone)) return undefined;
  const snapDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-bench-heap-'));
  const proc = spawn(
    process.execPath,
    ['--optimize-for-size', '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`, standalone],
    {
      cwd: path.dirname(standalone),
      env: {
        ...process.env,
        HOSTNAME: '127.0.0.1',
        PORT: String(opts.port),
        FD_KUBECONFIG: FILES.adminKubeconfig,
        FD_NAMESPACE: opts.namespace,
        FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(opts.gatewayPort),
        NODE_ENV: 'production',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  const base = `http://127.0.0.1:${opts.port}`;
  for (let i = 0; ; i++) {
    // Ours must answer: another server left on the port would answer too.
    if (proc.exitCode !== null) throw new Error(`the server exited (${proc.exitCode}); is port ${opts.port} taken?`);
    if ((await fetch(`${base}/api/healthz`).catch(() => undefined))?.ok) {
      await new Promise((r) => setTimeout(r, 300));
      if (proc.exitCode === null) break;
      continue;
    }
    if (i > 100) {
      proc.kill('SIGTERM');
      throw new Error('the server did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024,
    heapSnapshot: async () => {
      proc.kill('SIGUSR2');
      for (let i = 0; i < 240; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const file = fs.readdirSync(snapDir).find((f) => f.endsWith('.heapsnapshot'));
        if (!file) continue;
        let snap: HeapSnapshot;
        try {
          snap = JSON.parse(fs.readFileSync(path.join(snapDir, file), 'utf8')) as HeapSnapshot;
        } catch {
          continue; // still being written
        }
        fs.rmSync(path.join(snapDir, file));
        return summarize(snap);
      }
      throw new Error('the server wrote no heap snapshot within 2 minutes');
    },
    stop: () => {
      proc.kill('SIGTERM');
      fs.rmSync(snapDir, { recursive: true, force: true });
    },
    kill: () => {
      proc.kill('SIGKILL');
      fs.rmSync(snapDir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
}

/** Heap snapshot node types that are V8's structures rather than the program's values. */
const V8_OWN = new Set(['code', 'hidden', 'object shape', 'synthetic']);

function summarize(snap: HeapSnapshot) {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  let code = 0;
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const size = snap.nodes[i + sizeAt]!;
    total += size;
    if (V8_OWN.has(types[snap.nodes[i + typeAt]!]!)) code += size;
  }
  const mib = (b: number) => b / 2 ** 20;
  return { totalMiB: mib(total), codeMiB: mib(code), objectsMiB: mib(total - code) };
}
