/** The CLI's entry point (bundled into dist/flywheel-doctor.cjs by scripts/build-cli.mjs). */
import { errorMessage } from '../lib/k8s/errors';
import { main } from './main';

// A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go,
// which is not an error of the run; its exit code still says what the run found.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`flywheel-doctor: ${errorMessage(err)}\n`);
    process.exit(2);
  },
);
