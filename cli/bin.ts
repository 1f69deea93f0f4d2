/** The CLI's entry point (bundled into dist/flywheel-doctor.cjs by scripts/build-cli.mjs). */
import { errorMessage } from '../lib/k8s/errors';
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`flywheel-doctor: ${errorMessage(err)}\n`);
    process.exit(2);
  },
);
