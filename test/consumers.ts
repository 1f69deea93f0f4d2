/**
 * The programs that read Flywheel Doctor's outputs, as the tests call them (installed by
 * scripts/ensure-deps.sh): each returns its findings, [] when the consumer accepts the output.
 * Used on a fixture corpus (lib/report/consumers.test.ts) and on text planted in the cluster
 * (test/integration/hostile-output.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { HtmlValidate } from 'html-validate';
import MarkdownIt from 'markdown-it';

const ROOT = path.resolve(__dirname, '..');

function run(cmd: string, args: string[], input: string) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} is missing (${r.error.message}): see scripts/ensure-deps.sh`);
  return r;
}

/** libxml2: well-formed XML 1.0, and valid against the Jenkins JUnit schema. */
export function xmllintFindings(xml: string): string[] {
  const wellFormed = run('xmllint', ['--noout', '-'], xml);
  if (wellFormed.status !== 0) return wellFormed.stderr.split('\n').filter(Boolean).slice(0, 10);
  const schema = run('xmllint', ['--noout', '--schema', path.join(ROOT, 'test/schemas/junit-jenkins.xsd'), '-'], xml);
  return schema.status === 0
    ? []
    : schema.stderr
        .split('\n')
        .filter((l) => l && !/validates$/.test(l))
        .slice(0, 10);
}

export interface JunitRead {
  tests: number;
  names: string[];
  kinds: string[];
}
/** Python's junitparser (what CI tooling reads JUnit with): the cases and their results. */
export function junitparserRead(xml: string): JunitRead {
  const venv = execFileSync('bash', [path.join(ROOT, 'scripts/python-venv.sh')], { encoding: 'utf8' }).trim();
  const script = `
import sys, json
from junitparser import JUnitXml
xml = JUnitXml.fromstring(sys.stdin.buffer.read())
cases = [c for s in xml for c in s]
kind = lambda c: type(c.result[0]).__name__ if c.result else 'passed'
print(json.dumps({'tests': len(cases), 'kinds': [kind(c) for c in cases], 'names': [c.name for c in cases]}))
`;
  const r = run(path.join(venv, 'bin/python'), ['-c', script], xml);
  if (r.status !== 0) throw new Error(`junitparser could not read the file: ${r.stderr.slice(-1000)}`);
  return JSON.parse(r.stdout) as JunitRead;
}

/** GitHub's renderer (cmark-gfm with its extensions) and markdown-it, as HTML. */
export function renderedMarkdown(markdown: string): Array<[string, string]> {
  const gfm = run(
    'cmark-gfm',
    ['--extension', 'table', '--extension', 'autolink', '--extension', 'strikethrough'],
    markdown,
  ).stdout;
  return [
    ['cmark-gfm (GitHub)', gfm],
    ['markdown-it', new MarkdownIt({ linkify: true }).render(markdown)],
  ];
}

/** Links, images or HTML elements in rendered Markdown: none may come from cluster text. */
export const activeElements = (html: string) => html.match(/.{0,80}(<a\s|<img\s|<script|<iframe|<b>).{0,80}/g) ?? [];

/** html-validate with its recommended rules (inline style allowed: the report is one file). */
export async function htmlFindings(html: string): Promise<string[]> {
  const validator = new HtmlValidate({ extends: ['html-validate:recommended'], rules: { 'no-inline-style': 'off' } });
  const result = await validator.validateString(html);
  return result.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`));
}

/** C0 (but tab, LF, CR), DEL and C1 controls: terminal escapes in text, parse errors in XML and HTML. */
export const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
