// Bundles the CLI ahead of time into one file (dist/flywheel-doctor.cjs), so a call does not
// compile TypeScript. @kubernetes/client-node stays outside the bundle: it is imported only for
// exec-plugin and auth-provider kubeconfigs (lib/k8s/kubeconfig.ts), as it takes most of a second to load.
// The bundle's path and staleness check live in cli-bundle.cjs (read by bin/flywheel-doctor.cjs).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const { OUTFILE, isStale } = createRequire(import.meta.url)('./cli-bundle.cjs');

/**
 * zod's `z` namespace re-exports every message locale (a third of the bundle); the CLI only ever
 * uses English, which zod imports on its own. The namespace keeps `locales.en` and loses the rest.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}`)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

export async function buildCli() {
  const { build } = await import('esbuild');
  const started = performance.now();
  await build({
    entryPoints: [path.join(root, 'cli', 'bin.ts')],
    outfile: OUTFILE,
    bundle: true,
    platform: 'node',
    // CommonJS so bin/ can compile it through vm.Script with a V8 code cache (Node 20 has no
    // module compile cache): a warm call skips parsing and compiling the bundle.
    format: 'cjs',
    target: 'node20',
    external: ['@kubernetes/client-node'],
    // import() of the external as require(): bin/ runs the bundle through vm.Script with a code
    // cache, and a script compiled from a cache has no dynamic-import callback (exec-plugin
    // kubeconfigs failed on every call after the first). Node >= 20.19 requires ES modules.
    supported: { 'dynamic-import': false },
    // FD_CLI_DEBUG=1 keeps names, for reading a CPU profile (node --cpu-prof) of the CLI.
    minify: !process.env.FD_CLI_DEBUG,
    keepNames: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [englishOnlyZod],
  });
  return performance.now() - started;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const ms = await buildCli();
  const kib = Math.round(fs.statSync(OUTFILE).size / 1024);
  process.stderr.write(`[build-cli] ${path.relative(root, OUTFILE)} (${kib} KiB) in ${Math.round(ms)} ms\n`);
}
