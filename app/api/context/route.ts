import { flywheelNamespaces } from '@/checks/shared/install';
import { RESOURCES } from '@/lib/k8s/resources';
import { handle, respond, reader } from '../_lib/server';

export const runtime = 'nodejs';

/** What the header shows: cluster, acting identity, namespaces the user can pick from. */
export async function GET(req: Request) {
  return handle(async () => {
    const { d, identity } = await reader(req);
    const [cluster, actingUser] = await Promise.all([d.clusterInfo(), d.actingUser(identity)]);
    let namespaces: string[] = [d.config.namespace];
    let installs: string[] = [];
    let namespacesNote: string | undefined;
    if (cluster.reachable) {
      try {
        // List as the user when one is forwarded, so the switcher shows what they may see.
        const list = await d
          .client(identity)
          .list<{ metadata?: { name?: string } }>(RESOURCES.namespaces, undefined, { timeoutMs: 5000 });
        namespaces = [
          ...new Set([d.config.namespace, ...list.items.map((n) => n.metadata?.name ?? '').filter(Boolean)]),
        ].sort();
        // The switcher offers those that look like a Data Flywheel install (typing any name still works).
        installs = await flywheelNamespaces(d.client(identity), namespaces, d.config).catch(() => []);
      } catch {
        namespacesNote = 'You may not list namespaces; type a namespace name to switch.';
      }
    }
    return respond({
      cluster,
      defaultNamespace: d.config.namespace,
      namespaces,
      installs,
      namespacesNote,
      acting: {
        user: actingUser,
        source:
          identity.kind === 'token'
            ? 'forwarded login (oauth-proxy)'
            : d.access.mode === 'in-cluster'
              ? 'service account'
              : 'kubeconfig',
      },
      tool: { name: 'flywheel-doctor', version: process.env.npm_package_version ?? '0.1.0' },
    });
  });
}
