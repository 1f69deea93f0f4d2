import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchLocation, nginxQuote, parseNginx, serverLocations, UnjudgedPatternError } from './nginx';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));

/** Location blocks in file order; each answers its own index so the real nginx says which one won. */
const CASES: Array<{ name: string; locations: string[]; uris: string[] }> = [
  {
    name: 'a regex mock after a broader regex is never served',
    locations: [
      'location ~ ^/v1/models { return 200 "L0"; }',
      'location ~ ^/v1/models/meta/llama$ { return 200 "L1"; }',
      'location / { return 404 "L2"; }',
    ],
    uris: ['/v1/models/meta/llama', '/v1/models/x', '/other'],
  },
  {
    name: 'an exact match wins outright, wherever it sits',
    locations: [
      'location ~ ^/v1/models { return 200 "L0"; }',
      'location = /v1/models/meta/llama { return 200 "L1"; }',
      'location / { return 404 "L2"; }',
    ],
    uris: ['/v1/models/meta/llama', '/v1/models/meta/llama2'],
  },
  {
    name: 'the longest prefix wins over shorter ones; ^~ stops the regex search',
    locations: [
      'location /v1/ { return 200 "L0"; }',
      'location ^~ /v1/models/ { return 200 "L1"; }',
      'location ~ models { return 200 "L2"; }',
      'location /v1/models/meta/ { return 200 "L3"; }',
    ],
    uris: ['/v1/models/x', '/v1/models/meta/y', '/v1/other', '/x/models'],
  },
  {
    name: 'regexes win over a plain prefix; the first matching regex in file order',
    locations: [
      'location /v1/models/ { return 200 "L0"; }',
      'location ~* ^/V1/MODELS/[^/]+/customized-.+$ { return 200 "L1"; }',
      'location ~ ^/v1/models/ { return 200 "L2"; }',
    ],
    uris: ['/v1/models/a/customized-b', '/v1/models/a/b', '/v1/models/'],
  },
  {
    // Catastrophic for a backtracking engine; the linear-time one must still agree with nginx.
    name: 'a pattern with nested quantifiers matches as nginx matches it',
    locations: ['location ~ ^/v1/model(.*)*!$ { return 404 "L0"; }', 'location / { return 200 "L1"; }'],
    uris: ['/v1/model!', '/v1/models/x!', '/v1/models/x'],
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe.runIf(NGINX)('location precedence agrees with the real nginx', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-nginx-'));
  const servers: Array<{ port: number; stop(): void }> = [];

  beforeAll(async () => {
    for (const [i, c] of CASES.entries()) {
      const port = await freePort();
      const conf = `events {}\nhttp {\n  access_log off;\n  server {\n    listen 127.0.0.1:${port};\n    ${c.locations.join('\n    ')}\n  }\n}\n`;
      const file = path.join(dir, `case${i}.conf`);
      fs.writeFileSync(file, conf);
      const t = spawnSync(NGINX!, ['-t', '-p', dir, '-c', file, '-g', `pid ${dir}/t${i}.pid; error_log stderr;`]);
      expect(t.status, t.stderr.toString()).toBe(0);
      const proc = spawn(
        NGINX!,
        ['-p', dir, '-c', file, '-g', `daemon off; master_process off; pid ${dir}/n${i}.pid; error_log stderr;`],
        { stdio: 'ignore' },
      );
      servers.push({ port, stop: () => proc.kill('SIGKILL') });
    }
    for (const s of servers) {
      for (let tries = 0; ; tries++) {
        try {
          await fetch(`http://127.0.0.1:${s.port}/`);
          break;
        } catch {
          if (tries > 50) throw new Error('nginx did not start');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  });
  afterAll(() => {
    for (const s of servers) s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c, i) => ({ ...c, i })))('$name', async ({ i, locations, uris }) => {
    const { locations: parsed } = serverLocations(parseNginx(`server { ${locations.join('\n')} }`));
    for (const uri of uris) {
      const served = await (await fetch(`http://127.0.0.1:${servers[i]!.port}${uri}`)).text();
      const predicted = matchLocation(parsed, uri);
      const label = predicted ? `L${parsed.indexOf(predicted)}` : 'none';
      expect(label, `${uri}: nginx served ${served}`).toBe(/^L\d+$/.test(served) ? served : 'none');
    }
  });
});

describe('patterns from the cluster cost bounded time', () => {
  const locs = (src: string) => serverLocations(parseNginx(`server { ${src} }`)).locations;

  it('answers at once for a pattern a backtracking engine would take hours on', () => {
    // With RegExp this single call backtracks 2^n times; the suite's timeout is the failure.
    const uri = `/v1/model${'a'.repeat(5000)}`;
    const [loc] = locs('location ~ ^/v1/model(.*)*!$ { return 404; }');
    expect(matchLocation([loc!], uri)).toBeUndefined();
    expect(matchLocation([loc!], `${uri}!`)).toBe(loc);
  });

  it.each([
    ['a backreference', 'location ~ ^/(a+)/\\1$ { return 404; }'],
    ['a lookahead', 'location ~ ^/v1/(?!health) { return 404; }'],
    ['an invalid pattern', 'location ~ ^/v1/(unclosed { return 404; }'],
  ])('says a pattern with %s is not judged, instead of guessing', (_what, src) => {
    expect(() => matchLocation(locs(src), '/v1/x')).toThrow(UnjudgedPatternError);
  });
});

describe('parseNginx', () => {
  it('keeps offsets, unescapes quotes and skips comments', () => {
    const src = `http { # comment { not a block\n server { location = /a { return 200 'it\\'s {x};'; } } }`;
    const [http] = parseNginx(src);
    const { locations } = serverLocations([http!]);
    expect(locations).toHaveLength(1);
    const loc = locations[0]!;
    expect(src.slice(loc.directive.start, loc.directive.end)).toBe(`location = /a { return 200 'it\\'s {x};'; }`);
    expect(loc.directive.block![0]!.args).toEqual(['200', "it's {x};"]);
  });
  it.each([
    ['server { location / { return 200; }', /not closed/],
    ['server { return 200 }', /not terminated/],
    ["server { return 200 'x; }", /unterminated/],
    ['}', /unexpected/],
  ])('explains malformed config %j', (src, message) => {
    expect(() => parseNginx(src)).toThrow(message);
  });
  it('picks the server that listens on the given port, else the default_server, else the first', () => {
    const conf = parseNginx(
      'http { server { listen 9090; location /metrics { } } server { listen 0.0.0.0:8080; location /v1/ { } } server { listen 7070 default_server; location /d { } } }',
    );
    expect(serverLocations(conf, 8080).locations.map((l) => l.pattern)).toEqual(['/v1/']);
    expect(serverLocations(conf, 1234).locations.map((l) => l.pattern)).toEqual(['/d']);
    expect(serverLocations(parseNginx('server { listen 1; location /a { } }')).locations.map((l) => l.pattern)).toEqual(
      ['/a'],
    );
  });
  it('quotes text so nginx reads it back unchanged', () => {
    const text = `{"a": "it's", "b": "c\\\\d"}`;
    const [d] = parseNginx(`return 200 ${nginxQuote(text)};`);
    expect(d!.args[1]).toBe(text);
  });
});
