import { up } from '../cluster/cluster';

/** The real control plane; `up` is idempotent and reports a crashed component. */
export default async function setup() {
  await up();
}
