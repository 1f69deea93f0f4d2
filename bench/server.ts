/** The production server (npm run build) started for a benchmark, on loopback, against the local cluster. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILES, REPO_ROOT } from '../test/cluster/paths';

export interface BenchServer {
  base: string;
  /** Resident memory of the server process, MiB. */
  rss(): number;
  /** The live JS heap after the latest full garbage collection, MiB (from --trace-gc). */
  liveHeap(): number | undefined;
  stop(): void;
}

/**
 * Starts .next/standalone/server.js as the image does (same V8 flags as the Dockerfile's CMD) and
 * waits until it answers; undefined when there is no build. --trace-gc only feeds liveHeap().
 */
export async function startServer(opts: {
  port: number;
  namespace: string;
  gatewayPort: number;
}): Promise<BenchServer | undefined> {
  const standalone = path.join(REPO_ROOT, '.next/standalone/server.js');
  if (!fs.existsSync(standalone)) return undefined;
  const gcLog = path.join(os.tmpdir(), `fd-bench-server-gc-${process.pid}.log`);
  const out = fs.openSync(gcLog, 'w');
  const proc = spawn(process.execPath, ['--optimize-for-size', '--trace-gc', standalone], {
    cwd: path.dirname(standalone),
    env: {
      ...process.env,
      HOSTNAME: '127.0.0.1',
      PORT: String(opts.port),
      FD_KUBECONFIG: FILES.adminKubeconfig,
      FD_NAMESPACE: opts.namespace,
      FD_SERVICE_URL_OVERRIDES: `nemo-gateway=http://127.0.0.1:${opts.gatewayPort}`,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', out, 'ignore'],
  });
  fs.closeSync(out);
  const base = `http://127.0.0.1:${opts.port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/api/healthz`).catch(() => undefined))?.ok) break;
    if (i > 100) {
      proc.kill('SIGTERM');
      throw new Error('the server did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024,
    liveHeap: () => {
      // "Mark-Compact 44.8 (76.2) -> 40.2 (75.7) MB": what survived the last full collection.
      const full = [...fs.readFileSync(gcLog, 'utf8').matchAll(/Mark-Compact[^\n]*?-> ([\d.]+) \(/g)];
      return full.length ? Number(full[full.length - 1]![1]) : undefined;
    },
    stop: () => {
      proc.kill('SIGTERM');
      fs.rmSync(gcLog, { force: true });
    },
  };
}
