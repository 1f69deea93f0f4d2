import { up } from '../test/cluster/cluster';
import { testPort } from '../test/cluster/paths';
import { seedScenario } from '../test/cluster/seed';

/** The real control plane (idempotent) and a freshly seeded broken namespace for the dashboard. */
export default async function globalSetup() {
  await up();
  await seedScenario({ scenario: 'broken', namespace: 'fd-e2e', gatewayPort: testPort(19), log: () => undefined });
}
