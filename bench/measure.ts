// What every bench section measures with: whole processes timed by GNU time, medians, table rows.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeClient } from '../lib/k8s/client';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
export const f0 = (n: number) => n.toFixed(0);
export const f2 = (n: number) => n.toFixed(2);

export interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  /** When it ran (performance.now() of this process), to find the pods it created. */
  fromMs: number;
  toMs: number;
}

/**
 * One process, timed whole (fork to exit) with its CPU and peak RSS from GNU time. Async: the
 * latency proxy lives in this process and must keep serving while the child runs.
 */
export async function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Sample & { stdout: string }> {
  const tf = path.join(os.tmpdir(), `fd-bench-time-${process.pid}`);
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', tf, cmd, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  await new Promise((r) => child.on('close', r));
  const wallMs = performance.now() - t0;
  const [u, s, m] = fs.readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs, cpuMs: (u! + s!) * 1000, rssMiB: m! / 1024, stdout, fromMs: t0, toMs: t0 + wallMs };
}

/** Several processes one after another (a person pasting the guide's commands), summed. */
export async function sequence(cmds: Array<[string, string[]]>, env?: NodeJS.ProcessEnv): Promise<Sample> {
  const samples: Sample[] = [];
  for (const [c, a] of cmds) samples.push(await timed(c, a, env));
  return {
    wallMs: samples.reduce((t, x) => t + x.wallMs, 0),
    cpuMs: samples.reduce((t, x) => t + x.cpuMs, 0),
    rssMiB: Math.max(...samples.map((x) => x.rssMiB)),
    fromMs: samples[0]!.fromMs,
    toMs: samples[samples.length - 1]!.toMs,
  };
}

export function row(name: string, xs: Sample[]) {
  return `| ${name} | ${f0(median(xs.map((x) => x.wallMs)))} ms | ${f0(median(xs.map((x) => x.cpuMs)))} ms | ${f0(median(xs.map((x) => x.rssMiB)))} MiB |`;
}

/**
 * The probe pods' own run time, seen by a watch straight at the API server (not through the
 * latency proxy): from a pod's first sighting to Succeeded or Failed. Neither side can make a pod
 * run faster, so this part is the same for both; what is left is each tool's own time.
 */
export function podClock(client: KubeClient, ns: string) {
  const pods = new Map<string, { at: number; ms?: number }>(); // by uid: the baseline reuses names
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      const list = await client.list<KObject>(RESOURCES.pods, ns).catch(() => undefined);
      await client
        .watchObject<KObject>(
          RESOURCES.pods,
          ns,
          undefined,
          list?.metadata.resourceVersion ?? '0',
          (pod) => {
            const uid = pod.metadata?.uid ?? '';
            const seen = pods.get(uid) ?? { at: performance.now() };
            pods.set(uid, seen);
            if (seen.ms === undefined && ['Succeeded', 'Failed'].includes(pod.status?.phase))
              seen.ms = performance.now() - seen.at;
            return false;
          },
          { timeoutSeconds: 3600, signal: stop.signal },
        )
        .catch(() => undefined);
    }
  })();
  return {
    /** The run time of the pods that appeared while a sample ran. */
    during: (x: Sample) =>
      [...pods.values()].filter((p) => p.at >= x.fromMs && p.at <= x.toMs).reduce((t, p) => t + (p.ms ?? 0), 0),
    stop: () => stop.abort(),
  };
}

/** Requests counted at the latency proxy, grouped by path with the namespace and pod names as placeholders. */
export function byRequestPath(requests: string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const key = r
      .replace(/\/namespaces\/[^/ ]+/, '/namespaces/{ns}')
      .replace(/\/pods\/[^/ ]+/, '/pods/{name}')
      .replace(/ \(container [^)]*\)/, '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort();
}
