#!/usr/bin/env node
// Runs the bundled CLI (dist/flywheel-doctor.cjs, built by `npm ci` through the prepare script);
// rebuilds it first when it is missing or older than its sources, so a fresh clone or an edit works.
// The bundle is compiled with a V8 code cache kept beside it, one per command (rewritten when
// missing or rejected): a cache holds the functions the call that wrote it compiled, so a `run`
// started from the cache a `list` wrote compiled half the program again on every call.
// CommonJS throughout: the ES module loader would add its start-up to every call.
'use strict';
const fs = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');
const { OUTFILE, isStale } = require('../scripts/cli-bundle.cjs');

/** The commands cli/main.ts knows; anything else (help, a mistyped word) shares one cache. */
const COMMANDS = ['run', 'fix', 'jobs', 'list'];

function runBundle() {
  const command = COMMANDS.includes(process.argv[2]) ? process.argv[2] : 'other';
  const cacheFile = `${OUTFILE}.v8-${process.versions.v8}.${command}.cache`;
  let cachedData;
  try {
    if (fs.statSync(cacheFile).mtimeMs >= fs.statSync(OUTFILE).mtimeMs) cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* no cache yet */
  }
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(OUTFILE, 'utf8')}\n})`,
    { filename: OUTFILE, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER },
  );
  if (!cachedData || script.cachedDataRejected) {
    // After the run, so the cache holds the functions this call compiled too.
    process.once('exit', () => {
      try {
        // Renamed into place: a call starting meanwhile reads the old cache or the new, never half.
        const partial = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(partial, script.createCachedData());
        fs.renameSync(partial, cacheFile);
      } catch {
        /* read-only install: run without a cache */
      }
    });
  }
  const cjsModule = { exports: {} };
  script.runInThisContext()(cjsModule.exports, createRequire(OUTFILE), cjsModule, OUTFILE, path.dirname(OUTFILE));
}

if (isStale()) {
  import('../scripts/build-cli.mjs')
    .then((build) => build.buildCli())
    .then(runBundle, (err) => {
      process.stderr.write(
        `flywheel-doctor: could not build the CLI (${err.message}); run npm ci in ${path.dirname(path.dirname(OUTFILE))}\n`,
      );
      process.exit(2);
    });
} else {
  runBundle();
}
