/** What the node agent's parts share: the admin client, its state directories, logging. */
import fs from 'node:fs';
import path from 'node:path';
import { KubeAccess, type KubeClient } from '../../../lib/k8s/client';
import { FILES } from '../paths';

export const client: KubeClient = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
export const podsDir = path.join(FILES.sim, 'pods');
export const markersDir = path.join(FILES.sim, 'markers');
fs.mkdirSync(podsDir, { recursive: true });
fs.mkdirSync(markersDir, { recursive: true });
export const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
