/**
 * What each check says on each seeded scenario, as its folder declares it: `checks/<id>/scenarios.json`
 * maps a scenario to a status when it is not the default (fail on a failing scenario, pass on a
 * healthy one). Read from the file, so every test runner (vitest, Playwright) sees the same answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CheckStatus } from '../../lib/engine/types';
import { REPO_ROOT } from './paths';
import { SCENARIOS, type ScenarioName } from './seed';

export function expectedStatus(checkId: string, scenario: ScenarioName): CheckStatus {
  const file = path.join(REPO_ROOT, 'checks', checkId, 'scenarios.json');
  const declared = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<ScenarioName, CheckStatus>>)
    : {};
  return declared[scenario] ?? (SCENARIOS[scenario].failing ? 'fail' : 'pass');
}
