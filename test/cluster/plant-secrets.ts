import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';

/**
 * Plants fake credentials everywhere cluster text comes from in a seeded namespace: an env value and
 * a URL with user:password (through the NemoEvaluator CR, which the operator renders), a namespace
 * annotation the PVC check quotes, and bearer, basic and JSON credentials in the gateway's
 * nginx.conf. The seeded worker already logs its API key (FDSEEDSECRET). Returns the strings that
 * must never appear in any output.
 */
export async function plantSecrets(client: KubeClient, ns: string, tag: string): Promise<string[]> {
  const v = (n: number) => `${tag}${String(n).padStart(2, '0')}`;
  const basic = Buffer.from(v(5)).toString('base64');
  await client.jsonPatch(RESOURCES.nemoevaluators, ns, 'nemoevaluator-sample', [
    {
      op: 'add',
      path: '/spec/env',
      value: [
        { name: 'ENTITY_STORE_URL', value: `http://admin:${v(2)}@nemoentitystore-sample:8000` },
        { name: 'DB_PASS', value: v(1) },
      ],
    },
  ]);
  await client.request('PATCH', `/api/v1/namespaces/${ns}`, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { 'openshift.io/sa.scc.uid-range': `apiKey=${v(3)}` } } },
  });
  const cm = await client.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config');
  const lines = [
    `# proxy_set_header Authorization "Bearer ${v(4)}abcdefgh";`,
    `# Authorization: Basic ${basic}`,
    `# {"password": "${v(6)}"}`,
  ];
  const conf = (cm.data['nginx.conf'] as string).replace(
    '# Catch-all',
    `${lines.join('\n        ')}\n        # Catch-all`,
  );
  await client.jsonPatch(RESOURCES.configmaps, ns, 'nemo-gateway-config', [
    { op: 'replace', path: '/data/nginx.conf', value: conf },
  ]);
  return [v(1), v(2), v(3), v(4), basic.replace(/=+$/, ''), v(6), 'FDSEEDSECRET'];
}
