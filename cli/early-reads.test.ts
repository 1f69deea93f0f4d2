import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../checks';
import { createDoctor } from '../lib/engine/factory';
import { runNeeds, startEarlyReads } from './early-reads';

describe('the kinds a run lists, known before the checks load', () => {
  it('every check: what the registry needs, the namespace first', () => {
    const needs = [...runNeeds([], [])!];
    expect(needs[0]).toBe('namespaces');
    expect(new Set(needs)).toEqual(new Set(['namespaces', ...CHECKS.flatMap((c) => c.needs)]));
  });

  it.each([
    [['pod-health'], [], ['namespaces', ...CHECKS.find((c) => c.id === 'pod-health')!.needs]],
    // A former id names the check it became.
    [['gateway-model-mocks'], [], ['namespaces', ...CHECKS.find((c) => c.id === 'gateway-models')!.needs]],
    [['pod-health', 'customizer-scc'], ['pod-health'], ['namespaces', 'deployments']],
    [['no-such-check'], [], undefined],
    [[], ['no-such-check'], undefined],
  ])('--check %j --skip %j: %j', (check, skip, expected) => {
    const needs = runNeeds(check, skip);
    expect(needs && [...needs]).toEqual(expected && [...new Set(expected)]);
  });
});

describe('startEarlyReads', () => {
  let dir: string;
  let port: number;
  const kubeconfig = (namespace?: string) => {
    const file = path.join(dir, `kubeconfig-${namespace ?? 'none'}`);
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: c',
        'clusters: [{name: k, cluster: {server: "https://127.0.0.1:' + port + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        `contexts: [{name: c, context: {cluster: k, user: u${namespace ? `, namespace: ${namespace}` : ''}}}]`,
      ].join('\n'),
    );
    return file;
  };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-early-'));
    // A port nothing listens on: the reads fail fast, as reads of a cluster that is down do.
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a --namespace flag', ['-n', 'flag-ns'], {}, 'ctx-ns', 'flag-ns'],
    ['FD_NAMESPACE', [], { FD_NAMESPACE: 'env-ns' }, 'ctx-ns', 'env-ns'],
    ['FD_CONFIG', [], { FD_CONFIG: '{"namespace":"config-ns"}' }, 'ctx-ns', 'config-ns'],
    [
      'the flag over FD_NAMESPACE and FD_CONFIG',
      ['--namespace=flag-ns'],
      { FD_NAMESPACE: 'env-ns', FD_CONFIG: '{"namespace":"config-ns"}' },
      'ctx-ns',
      'flag-ns',
    ],
    ['the kubeconfig context', [], {}, 'ctx-ns', 'ctx-ns'],
    ['nothing: the default', [], {}, undefined, 'flywheel'],
  ] as const)('reads the namespace the engine will run in: %s', async (_, flags, env, contextNs, expected) => {
    const file = kubeconfig(contextNs);
    const early = startEarlyReads(['run', ...flags, '--kubeconfig', file], env);
    expect(early?.snapshot.namespace).toBe(expected);
    await early!.sent;
    await early!.snapshot.ready();
    // The same inputs give the engine the same namespace: the run adopts these reads.
    const flagNs = flags.length ? String(flags.at(-1)).replace('--namespace=', '') : undefined;
    const doctor = createDoctor({ registry: CHECKS, kubeconfig: file, namespace: flagNs, env, access: early!.access });
    expect(doctor.config.namespace).toBe(expected);
  });

  it.each([
    ['another command', ['list']],
    ['fix', ['fix', 'pod-health']],
    ['an unknown flag', ['run', '--no-such-flag']],
    ['an unknown check', ['run', '--check', 'no-such-check']],
    ['an invalid namespace', ['run', '-n', 'Not_A_Namespace']],
    ['a kubeconfig that is not there', ['run', '--kubeconfig', '/nonexistent/kubeconfig']],
  ])('starts nothing for %s (the engine answers it in its own words)', (_, argv) => {
    const args = argv.includes('--kubeconfig') ? argv : [...argv, '--kubeconfig', kubeconfig('ctx-ns')];
    expect(startEarlyReads(args, {})).toBeUndefined();
  });
});
