/** The CLI's entry point (bundled into dist/flywheel-doctor.cjs by scripts/build-cli.mjs). */
import { errorMessage } from '../lib/k8s/errors';
import { startEarlyReads } from './early-reads';

// A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go,
// which is not an error of the run; its exit code still says what the run found.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

const argv = process.argv.slice(2);
// A run's lists go out first; the engine (loaded on demand: the bundle initialises ./main's
// modules only here) loads while the API server answers them.
const early = startEarlyReads(argv);
(early?.sent ?? Promise.resolve())
  .then(() => import('./main'))
  .then(({ main }) => main(argv, early))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`flywheel-doctor: ${errorMessage(err)}\n`);
      process.exit(2);
    },
  );
