// Where the bundled CLI lives and whether it is older than its sources: CommonJS, so the CLI's
// launcher (bin/flywheel-doctor.cjs) reads it without starting the ES module loader on every call.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const OUTFILE = path.join(root, 'dist', 'flywheel-doctor.cjs');
const SOURCES = ['cli', 'checks', 'lib', 'package.json', 'scripts/build-cli.mjs', 'scripts/cli-bundle.cjs'];

function newestSource(p = root, rel = '') {
  let newest = 0;
  for (const entry of rel
    ? fs.readdirSync(p, { withFileTypes: true })
    : SOURCES.map((s) => ({ name: s, isDirectory: () => fs.statSync(path.join(root, s)).isDirectory() }))) {
    const full = path.join(p, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full, path.join(rel, entry.name)));
    else if (/\.(ts|mjs|cjs|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the bundle is missing or older than any source it is built from. */
function isStale() {
  if (!fs.existsSync(OUTFILE)) return true;
  // A packaged install has no sources to compare with: the bundle is what there is.
  if (!fs.existsSync(path.join(root, 'cli'))) return false;
  return newestSource() > fs.statSync(OUTFILE).mtimeMs;
}

module.exports = { OUTFILE, isStale };
