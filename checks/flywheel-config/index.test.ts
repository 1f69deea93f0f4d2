import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check, { settingsProblems } from '.';
import { config, NS } from '../test-fixtures';

/** The seeded df-config (test/cluster/fixtures/namespace.yaml): loadable, as the healthy scenario needs. */
const seeded = (() => {
  const text = fs.readFileSync(path.join(__dirname, '../../test/cluster/fixtures/namespace.yaml'), 'utf8');
  const docs = parseAllDocuments(text.replace(/\$\{NS\}/g, NS)).map((d) => d.toJS());
  return docs.find((d) => d?.metadata?.name === 'df-config').data['config.yaml'] as string;
})();
const edit = (from: string | RegExp, to: string) => {
  const out = seeded.replace(from, to);
  if (out === seeded) throw new Error(`fixture edit found nothing to replace: ${from}`);
  return out;
};

describe('settingsProblems: df-config as blueprint 0.3.x loads it', () => {
  it('the seeded df-config loads', () => expect(settingsProblems(seeded)).toEqual([]));

  it.each<[string, string, RegExp]>([
    [
      'limit: null (an int in every release)',
      edit('limit: 10000', 'limit: null'),
      /^data_split_config\.limit: should be an integer \(got null\)$/,
    ],
    ['a section from_yaml indexes is missing', edit(/lora_config:\n(.*\n){2}/, ''), /^lora_config: is missing/],
    ['no NIMs', edit(/nims:\n(.*\n)*?(?=llm_judge_config)/, 'nims: []\n'), /^nims: is empty/],
    ['a NIM without context_length', edit('    context_length: 8192\n', ''), /^nims\.0\.context_length/],
    [
      'customization on without its configs',
      edit(/    customizer_configs:\n(.*\n){3}/, ''),
      /customizer_configs is missing/,
    ],
    [
      'val_ratio of 1',
      edit('val_ratio: 0.1', 'val_ratio: 1'),
      /^data_split_config\.val_ratio: should be at least 0 and below 1$/,
    ],
    [
      'more ICL examples than the evaluation set',
      edit('max_examples: 3', 'max_examples: 30'),
      /^icl_config\.max_examples: \(30\) cannot exceed data_split_config\.eval_size \(20\)$/,
    ],
    [
      'semantic similarity without an embedding NIM',
      edit('max_examples: 3', 'max_examples: 3\n  example_selection: semantic_similarity'),
      /embedding_nim_config is missing/,
    ],
    ['a nmp_config URL missing', edit(/  nim_base_url: .*\n/, ''), /^nmp_config\.nim_base_url/],
    ['not YAML', 'nims: [\n', /^not valid YAML/],
    ['not a mapping', '- a\n- b\n', /not a mapping/],
  ])('refuses %s', (_, text, problem) => {
    const problems = settingsProblems(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(problem);
  });

  it.each<[string, string]>([
    // Pydantic's lax mode: digits in a string are an int; random_seed may be null; sections may hold defaults only.
    ['an int given as digits in a string', edit('limit: 10000', 'limit: "5000"')],
    ['random_seed null (Optional)', seeded],
    ['a section of defaults only', edit(/training_config:\n(.*\n){5}/, 'training_config: {}\n')],
    ['logging and mlflow sections', `${seeded}\nlogging_config: { level: DEBUG }\nmlflow_config: { enabled: false }\n`],
  ])('accepts %s', (_, text) => expect(settingsProblems(text)).toEqual([]));
});

describe('flywheel-config', () => {
  const judge = (configMaps: unknown[], deployments: unknown[] = []) =>
    judgeWith(
      check,
      Snapshot.fromFixture(NS, { configmaps: configMaps as never, deployments: deployments as never }),
      {},
      config(),
    );
  const cm = (text: string) => ({ metadata: { name: 'df-config' }, data: { 'config.yaml': text } });
  const api = {
    metadata: { name: 'df-api-deployment' },
    spec: {
      template: { spec: { containers: [{ name: 'api', image: 'nvcr.io/nvidia/blueprint/data-flywheel:0.3.0' }] } },
    },
  };

  it.each<[string, unknown[], string, RegExp]>([
    ['loadable', [cm(seeded)], 'pass', /loads as the flywheel's settings/],
    [
      'limit null',
      [cm(edit('limit: 10000', 'limit: null'))],
      'FD-FWCFG-002',
      /cannot load df-config: data_split_config\.limit: should be an integer \(got null\); the API and the Celery workers exit at start/,
    ],
    [
      'two problems',
      [cm(edit('limit: 10000', 'limit: null').replace('epochs: 2', 'epochs: two'))],
      'FD-FWCFG-002',
      /\(and 1 more\)/,
    ],
    ['no df-config', [], 'FD-FWCFG-001', /ConfigMap df-config key config\.yaml not found/],
  ])('%s', (_, configMaps, status, summary) => {
    const r = judge(configMaps, [api]);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('names the release it found next to the rules it applied', () => {
    const r = judge([cm(seeded)], [api]);
    expect(r.evidence[0]!.value).toMatch(/blueprint 0\.3\.x .*this namespace runs data-flywheel 0\.3\.0/);
  });
});
