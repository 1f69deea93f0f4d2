/** The files generated from the check folders are up to date: run `npm run generate` when this fails. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFolders, generatedFiles, orderProblems, REPO_ROOT, tableRow } from '../scripts/generate';
import { CHECKS } from '.';
import { CHECK_ORDER } from './order';

describe('generated from the check folders', () => {
  it('lists every folder in checks/order.ts, once', () => {
    expect(orderProblems(CHECK_ORDER, checkFolders())).toEqual([]);
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_ORDER]);
  });

  it.each([
    [['a', 'b'], ['a', 'b', 'c'], ['checks/c/ is not listed in checks/order.ts']],
    [['a', 'b', 'x'], ['a', 'b'], ['checks/order.ts lists x, which has no folder']],
    [['a', 'a'], ['a'], ['checks/order.ts lists a twice']],
  ])('order %j, folders %j: %j', (order, folders, problems) => {
    expect(orderProblems(order, folders)).toEqual(problems);
  });

  it('turns a folder README into its table row, and refuses one without the two paragraphs', () => {
    expect(tableRow('x', '# x\n\n**Also:** formerly `y`\n\n**Judges:** a\nb\n\n**Fix:** c\n')).toBe(
      '| `x` (formerly `y`) | a b | c |',
    );
    expect(() => tableRow('x', '# x\n\n**Judges:** a\n')).toThrow(/checks\/x\/README.md needs/);
  });

  it('checks/index.ts, checks/reads.ts, the RBAC rules and the README table are up to date', async () => {
    for (const { file, text } of await generatedFiles())
      expect(fs.readFileSync(file, 'utf8'), `${path.relative(REPO_ROOT, file)} is stale: run npm run generate`).toBe(
        text,
      );
  });
});
