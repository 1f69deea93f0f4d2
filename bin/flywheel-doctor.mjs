#!/usr/bin/env node
// Runs the bundled CLI (dist/flywheel-doctor.mjs, built by `npm ci` through the prepare script);
// rebuilds it first when it is missing or older than its sources, so a fresh clone or an edit works.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUTFILE, buildCli, isStale } from '../scripts/build-cli.mjs';

if (isStale()) {
  try {
    await buildCli();
  } catch (err) {
    process.stderr.write(
      `flywheel-doctor: could not build the CLI (${err.message}); run npm ci in ${path.dirname(path.dirname(OUTFILE))}\n`,
    );
    process.exit(2);
  }
}
await import(pathToFileURL(OUTFILE).href);
