/** What the node agent's parts share: the admin client, its state directories, logging. */
import fs from 'node:fs';
import path from 'node:path';
import { KubeAccess, type KubeClient } from '../../../lib/k8s/client';
import type { KObject } from '../../../lib/k8s/object';
import { RESOURCES } from '../../../lib/k8s/resources';
import { FILES, PORTS } from '../paths';

export const client: KubeClient = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
export const podsDir = path.join(FILES.sim, 'pods');
export const markersDir = path.join(FILES.sim, 'markers');
fs.mkdirSync(podsDir, { recursive: true });
fs.mkdirSync(markersDir, { recursive: true });
export const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gatewaysFile = path.join(FILES.sim, 'gateways.json');

/** The loopback port of a namespace's gateway nginx (its Entity Store stand-in's port derives from it). */
export async function gatewayPort(ns: string): Promise<number> {
  // Tests pin a namespace's gateway port with an annotation (seed --gateway-port).
  const nsObj = await client.get<KObject>(RESOURCES.namespaces, undefined, ns).catch(() => undefined);
  const pinned = Number(nsObj?.metadata?.annotations?.['sim.flywheel-doctor.dev/gateway-port'] ?? '');
  const ports: Record<string, number> = fs.existsSync(gatewaysFile)
    ? JSON.parse(fs.readFileSync(gatewaysFile, 'utf8'))
    : {};
  if (pinned > 0) {
    ports[ns] = pinned;
    fs.writeFileSync(gatewaysFile, JSON.stringify(ports, null, 2));
    return pinned;
  }
  if (ports[ns]) return ports[ns]!;
  const used = new Set(Object.values(ports));
  let port = ns === 'flywheel' ? PORTS.gateway : PORTS.gateway + 1;
  while (used.has(port)) port++;
  ports[ns] = port;
  fs.writeFileSync(gatewaysFile, JSON.stringify(ports, null, 2));
  return port;
}
