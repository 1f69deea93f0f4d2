// Where the bundled CLI lives and whether it is older than its sources: CommonJS, so the CLI's
// launcher (bin/flywheel-doctor.cjs) reads it without starting the ES module loader on every call.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const OUTFILE = path.join(root, 'dist', 'flywheel-doctor.cjs');
const SOURCES = ['cli', 'checks', 'lib', 'package.json', 'scripts/build-cli.mjs', 'scripts/cli-bundle.cjs'];

const SOURCE_FILE = /\.(ts|mjs|cjs|json)$/;

/** The newest modification time of the sources under dir (a hand-written walk: Node 20's recursive readdir is slower). */
function newestIn(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = `${dir}/${entry.name}`;
    const mtime = entry.isDirectory()
      ? newestIn(full)
      : SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.test.ts')
        ? fs.statSync(full).mtimeMs
        : 0;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** The newest modification time among the sources: every call of the CLI pays for it, so it stays a bare walk. */
function newestSource(base = root) {
  let newest = 0;
  for (const source of SOURCES) {
    const full = path.join(base, source);
    const stat = fs.statSync(full);
    const mtime = stat.isDirectory() ? newestIn(full) : stat.mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** True when the bundle is missing or older than any source it is built from (base: another checkout, for tests). */
function isStale(base = root) {
  const bundle = path.join(base, path.relative(root, OUTFILE));
  if (!fs.existsSync(bundle)) return true;
  // A packaged install has no sources to compare with: the bundle is what there is.
  if (!fs.existsSync(path.join(base, 'cli'))) return false;
  return newestSource(base) > fs.statSync(bundle).mtimeMs;
}

module.exports = { OUTFILE, isStale };
