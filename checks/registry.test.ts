/** The registry's contract: what every check must carry, checked for each one, so a new check cannot skip it. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS, CONFIG_SCHEMA } from '.';
import { loadConfig } from '../lib/config';
import { CODE_PATTERN, ENGINE_CODES } from '../lib/engine/codes';
import { RESOURCES } from '../lib/k8s/resources';

const config = loadConfig(CONFIG_SCHEMA, {}, {});

describe('the check registry', () => {
  it('has unique, stable-looking ids', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  it('gives every finding code once across the registry, the engine’s own included', () => {
    const all = [...CHECKS.flatMap((c) => Object.keys(c.codes)), ...Object.keys(ENGINE_CODES)];
    expect(all.filter((c, i) => all.indexOf(c) !== i)).toEqual([]);
  });

  describe.each(CHECKS.map((c) => ({ id: c.id, check: c })))('$id', ({ id, check }) => {
    it('lives in its folder checks/<id>/ with a unit test beside it', () => {
      expect(fs.existsSync(path.join(__dirname, id, 'index.ts')), `checks/${id}/index.ts`).toBe(true);
      expect(fs.existsSync(path.join(__dirname, id, 'index.test.ts')), `checks/${id}/index.test.ts`).toBe(true);
    });

    it('explains itself: title, area, symptom, root cause and manual commands', () => {
      for (const text of [check.title, check.area, check.explain.symptom, check.explain.rootCause])
        expect(text.length).toBeGreaterThan(3);
      const manual = check.explain.manualFix(config);
      expect(manual.length).toBeGreaterThan(0);
      for (const line of manual) expect(line).not.toMatch(/undefined|\[object Object\]/);
    });

    it('reads only resources the engine knows, and its configuration sections have defaults', () => {
      for (const kind of check.needs) expect(Object.keys(RESOURCES)).toContain(kind);
      for (const key of Object.keys(check.config ?? {})) expect(config[key], `config.${key}`).toBeDefined();
    });

    it('declares its finding codes, one prefix per check, each asserted by its own tests', () => {
      const codes = Object.entries(check.codes);
      expect(codes.length).toBeGreaterThan(0);
      const prefixes = new Set(codes.map(([code]) => code.replace(/-\d{3}$/, '')));
      expect(prefixes.size, `one prefix for ${id}`).toBe(1);
      const tests = fs.readFileSync(path.join(__dirname, id, 'index.test.ts'), 'utf8');
      for (const [code, spec] of codes) {
        expect(code).toMatch(CODE_PATTERN);
        for (const text of [spec.title, spec.summary, spec.fix]) expect(text.trim().length).toBeGreaterThan(3);
        expect(tests, `checks/${id}/index.test.ts asserts ${code}`).toContain(`'${code}'`);
      }
    });

    it.runIf(!!check.fix)('a fix says what it does and which permissions it needs', () => {
      expect(check.fix!.description.length).toBeGreaterThan(10);
      expect(check.fix!.permissions(config).length).toBeGreaterThan(0);
    });
  });
});
