import { up } from '../../scripts/cluster';

/** The real control plane; `up` is idempotent and reports a crashed component. */
export default async function setup() {
  await up();
}
