import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';

/**
 * Plants fake credentials everywhere cluster text comes from in a seeded namespace: an env value and
 * a URL with user:password (through the NemoEvaluator CR, which the operator renders), a namespace
 * annotation the PVC check quotes, and in the gateway's nginx.conf (which gateway plans carry whole)
 * every credential shape an adversary tried: bearer in any case, basic, Token and ApiKey schemes,
 * nginx credential headers, cookies, quoted passwords with spaces, AWS keys, tokens as URL users. The seeded worker already logs its API key (FDSEEDSECRET). Returns the strings that
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
        // A password holding `@` and `/`, in a variable whose name says nothing.
        { name: 'DATABASE_URL', value: `mongodb://flywheel:p@ss/${v(7)}@df-mongodb:27017/flywheel` },
      ],
    },
  ]);
  await client.request('PATCH', `/api/v1/namespaces/${ns}`, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { 'openshift.io/sa.scc.uid-range': `apiKey=${v(3)}` } } },
  });
  const cm = await client.get<KObject>(RESOURCES.configmaps, ns, 'nemo-gateway-config');
  const aws = `wJalrXUtnFEMI/K7MDENG/bPxRfiCY${v(13)}Ab12Cd34`;
  const lines = [
    `# proxy_set_header Authorization "Bearer ${v(4)}abcdefgh";`,
    `# Authorization: Basic ${basic}`,
    `# {"password": "${v(6)}"}`,
    `# proxy_set_header X-Api-Key ${v(8)};`,
    `# authorization: bearer ${v(9)}lowercase`,
    `# Authorization: Token ${v(10)}`,
    `# Cookie: session=${v(11)}; theme=dark`,
    `# password: "two ${v(12)} words"`,
    `# aws_secret ${aws} id ASIA${v(14).padEnd(16, 'X')}`,
    `# git clone https://${v(15)}abcdefgh@github.com/org/repo`,
  ];
  const conf = (cm.data['nginx.conf'] as string).replace(
    '# Catch-all',
    `${lines.join('\n        ')}\n        # Catch-all`,
  );
  await client.jsonPatch(RESOURCES.configmaps, ns, 'nemo-gateway-config', [
    { op: 'replace', path: '/data/nginx.conf', value: conf },
  ]);
  return [
    v(1),
    v(2),
    v(3),
    v(4),
    basic.replace(/=+$/, ''),
    v(6),
    ...[7, 8, 9, 10, 11, 12, 13, 14, 15].map(v),
    'FDSEEDSECRET',
  ];
}
