// Measures the JavaScript the dashboard's first load ships (gzipped), from the production build:
// every <script src> in the prerendered "/" HTML. Also fails if server-only code reached the browser.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const BUDGET_KB = Number(process.env.FD_JS_BUDGET_KB ?? 200);
const html = fs.readFileSync('.next/server/app/index.html', 'utf8');
const srcs = [...new Set([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]))];
let raw = 0;
let gz = 0;
for (const src of srcs) {
  const file = path.join('.next', src.replace(/^\/_next\//, ''));
  const buf = fs.readFileSync(file);
  raw += buf.length;
  gz += zlib.gzipSync(buf, { level: 9 }).length;
}
// Server-only markers: the Kubernetes client, our API layer, Node built-ins used by lib/.
const markers = ['applyToHTTPSOptions', 'loadFromCluster', 'KubeApiError', 'selfsubjectaccessreviews', 'node:https'];
const leaks = [];
for (const f of fs.readdirSync('.next/static/chunks').filter((f) => f.endsWith('.js'))) {
  const text = fs.readFileSync(path.join('.next/static/chunks', f), 'utf8');
  for (const m of markers) if (text.includes(m)) leaks.push(`${f}: ${m}`);
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(
  `first-load JS of /: ${srcs.length} scripts, ${kb(raw)} kB raw, ${kb(gz)} kB gzipped (budget ${BUDGET_KB} kB, ${((gz / 1024 / BUDGET_KB) * 100).toFixed(0)}% used)`,
);
if (leaks.length) console.log(`server-only code in client chunks:\n  ${leaks.join('\n  ')}`);
process.exit(gz / 1024 > BUDGET_KB || leaks.length ? 1 : 0);
