import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { expectedStatus } from './expectations';
import { REPO_ROOT } from './paths';
import { SCENARIO_NAMES } from './seed';

describe('what each check folder declares about the seeded scenarios', () => {
  it.each([
    ['gateway-upstreams', 'broken', 'fail'],
    ['gateway-upstreams', 'broken-proxy', 'pass'],
    ['flywheel-state-persistence', 'broken', 'warn'],
    ['flywheel-state-persistence', 'healthy', 'pass'],
    ['pod-health', 'broken-proxy', 'fail'],
    ['pod-health', 'healthy-proxy', 'pass'],
  ] as const)('%s on %s: %s', (id, scenario, status) => {
    expect(expectedStatus(id, scenario)).toBe(status);
  });

  it('names only scenarios that exist and statuses a check can have', () => {
    for (const c of CHECKS) {
      const file = path.join(REPO_ROOT, 'checks', c.id, 'scenarios.json');
      if (!fs.existsSync(file)) continue;
      for (const [scenario, status] of Object.entries(JSON.parse(fs.readFileSync(file, 'utf8')) as object)) {
        expect(SCENARIO_NAMES, file).toContain(scenario);
        expect(['pass', 'warn', 'fail', 'error', 'skipped'], file).toContain(status);
      }
    }
  });
});
