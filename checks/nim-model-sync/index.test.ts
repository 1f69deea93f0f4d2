import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check, { locateSync, probeSync, type SyncProbe } from '.';
import { config, NS } from '../test-fixtures';

const MODEL = 'meta/llama-3.2-1b-instruct';
const df = (url: string | undefined, models: string[]) =>
  `nmp_config:\n${url ? `  nim_base_url: "${url}"\n` : ''}  nmp_namespace: x\nnims:\n${models.map((m) => `  - model_name: "${m}"\n    context_length: 8192\n`).join('')}`;
const NIM_SVC = { metadata: { name: 'meta-llama3-1b-instruct' }, spec: { ports: [{ port: 8000 }] } };
const snap = (text: string | undefined) =>
  Snapshot.fromFixture(NS, {
    configmaps: (text === undefined
      ? []
      : [{ metadata: { name: 'df-config' }, data: { 'config.yaml': text } }]) as never,
    services: [NIM_SVC] as never,
  });
const asked = (p: Partial<SyncProbe>): SyncProbe => ({
  target: { base: 'http://127.0.0.1:1', via: 'FD_SERVICE_URL_OVERRIDES meta-llama3-1b-instruct' },
  ...p,
});

describe('nim-model-sync', () => {
  it.each<[string, string | undefined, SyncProbe, string, RegExp]>([
    [
      'the NIM lists the model',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      asked({ status: 200, ids: [MODEL] }),
      'pass',
      /lists every configured NIM/,
    ],
    [
      'it lists another model (nim_base_url names the wrong NIM)',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      asked({ status: 200, ids: ['meta/llama-3.1-8b-instruct'] }),
      'FD-SYNC-005',
      /meta\/llama-3\.2-1b-instruct is not listed by the NIM proxy .* \(it lists meta\/llama-3\.1-8b-instruct\): .*did not sync within 3600 second/,
    ],
    [
      'it lists nothing yet',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      asked({ status: 200, ids: [] }),
      'FD-SYNC-005',
      /it lists nothing/,
    ],
    [
      'two NIMs, one listed',
      df('http://meta-llama3-1b-instruct:8000', [MODEL, 'a/b']),
      asked({ status: 200, ids: [MODEL] }),
      'FD-SYNC-005',
      /^a\/b is not listed/,
    ],
    [
      'an error answer',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      asked({ status: 503, problem: 'HTTP 503: loading' }),
      'FD-SYNC-004',
      /does not list its models \(HTTP 503: loading\)/,
    ],
    [
      'refused',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      asked({ problem: 'ECONNREFUSED' }),
      'FD-SYNC-004',
      /ECONNREFUSED/,
    ],
    // Behind an override, the URL's own port is still judged against the Service.
    [
      'a port the NIM Service does not have',
      df('http://meta-llama3-1b-instruct:80', [MODEL]),
      asked({ status: 200, ids: [MODEL] }),
      'FD-SYNC-002',
      /port 80 is not a port of Service meta-llama3-1b-instruct \(8000\)/,
    ],
    [
      'no address from here',
      df('http://meta-llama3-1b-instruct:8000', [MODEL]),
      { unprobeable: 'set FD_SERVICE_URL_OVERRIDES' },
      'FD-SYNC-003',
      /Cannot ask the NIM proxy from here/,
    ],
    ['no df-config', undefined, {}, 'FD-SYNC-001', /ConfigMap df-config key config\.yaml not found/],
    ['no nim_base_url', df(undefined, [MODEL]), {}, 'FD-SYNC-001', /no nmp_config\.nim_base_url/],
    ['no NIMs', df('http://meta-llama3-1b-instruct:8000', []), {}, 'FD-SYNC-001', /lists no NIMs/],
  ])('%s', (_, text, probe, status, summary) => {
    const r = judgeWith(check, snap(text), probe, config());
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});

describe('probeSync over HTTP', () => {
  let server: http.Server;
  let base = '';
  let answer: (res: http.ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    server = http.createServer((_req, res) => answer(res)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());
  const cfg = () => ({ ...config(), serviceUrlOverrides: { 'meta-llama3-1b-instruct': base } });
  const subject = () => locateSync(df('http://meta-llama3-1b-instruct:8000', [MODEL]), cfg());

  it.each<[string, (res: http.ServerResponse) => void, Partial<SyncProbe>]>([
    [
      'the OpenAI model list',
      (res) => res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL }] })),
      { status: 200, ids: [MODEL] },
    ],
    ['not JSON', (res) => res.end('<html>'), { problem: 'the answer is not JSON' }],
    ['no data list', (res) => res.end('{}'), { problem: 'the answer has no data[] list of models' }],
    [
      'an error status',
      (res) => ((res.statusCode = 503), res.end('loading')),
      { status: 503, problem: 'HTTP 503: loading' },
    ],
  ])('%s', async (_, handler, want) => {
    answer = handler;
    expect(await probeSync(subject(), cfg())).toMatchObject(want);
  });
});
