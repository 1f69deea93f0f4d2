import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { parseYamlOnce as parseYaml } from '../shared/yaml';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { DataFlywheelSection } from '../shared/entity-store';

/**
 * The flywheel's settings as the Data Flywheel blueprint loads them at import (src/config.py,
 * Settings.from_yaml; identical in v0.3.0, v0.3.1 and main): the API and both Celery workers exit
 * before serving anything when df-config does not load. Pydantic's lax mode is mirrored: an int may
 * come as digits in a string, but null is not an int, and a key that from_yaml indexes must exist.
 */
const int = z.union([z.number().int(), z.string().regex(/^\s*[-+]?\d+\s*$/)], {
  error: (i) => `should be an integer (got ${JSON.stringify(i.input)})`,
});
const num = z.union([z.number(), z.string().regex(/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/)], {
  error: (i) => `should be a number (got ${JSON.stringify(i.input)})`,
});
const bool = z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(['true', 'false', 'yes', 'no', 'on', 'off'])], {
  error: (i) => `should be a boolean (got ${JSON.stringify(i.input)})`,
});
const str = z.string({ error: (i) => `should be a string (got ${JSON.stringify(i.input)})` });
const required = <T extends z.ZodType>(t: T, what: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (v === undefined) ctx.addIssue({ code: 'custom', message: `is missing (${what})` });
    })
    .pipe(t);

const CustomizerSettings = z.object({
  target: str,
  gpus: int,
  num_nodes: int.optional(),
  tensor_parallel_size: int.optional(),
  data_parallel_size: int.optional(),
  use_sequence_parallel: bool.optional(),
  micro_batch_size: int.optional(),
  training_precision: str.optional(),
  max_seq_length: int.optional(),
});

const NimSettings = z
  .object({
    model_name: str,
    context_length: int,
    tag: str.nullish(),
    gpus: int.nullish(),
    pvc_size: str.nullish(),
    registry_base: str.optional(),
    customization_enabled: bool.optional(),
    customizer_configs: CustomizerSettings.nullish(),
    model_type: z.enum(['llm', 'embedding']).optional(),
  })
  .refine((n) => !(n.customization_enabled === true || n.customization_enabled === 'true') || n.customizer_configs, {
    message: 'customization_enabled is true but customizer_configs is missing',
  });

const JudgeSettings = z.object({
  deployment_type: z.unknown().optional(),
  url: str.nullish(),
  model_name: str.nullish(),
  context_length: int.nullish(),
  tag: str.nullish(),
  gpus: int.nullish(),
  pvc_size: str.nullish(),
});

const fraction = (hi: 'lt' | 'le') =>
  num.refine((v) => Number(v) >= 0 && (hi === 'lt' ? Number(v) < 1 : Number(v) <= 1), {
    message: `should be at least 0 and ${hi === 'lt' ? 'below' : 'at most'} 1`,
  });

export const FlywheelSettingsSchema = z
  .object({
    nmp_config: required(
      z.object({ datastore_base_url: str, nemo_base_url: str, nim_base_url: str, nmp_namespace: str.optional() }),
      'the NeMo platform URLs',
    ),
    nims: required(z.array(NimSettings).min(1, 'is empty: at least one NIM must be configured'), 'the NIMs'),
    llm_judge_config: required(JudgeSettings, 'the LLM judge'),
    training_config: required(
      z.object({
        training_type: str.optional(),
        finetuning_type: str.optional(),
        epochs: int.optional(),
        batch_size: int.optional(),
        learning_rate: num.optional(),
      }),
      'training',
    ),
    lora_config: required(z.object({ adapter_dim: int.optional(), adapter_dropout: num.optional() }), 'LoRA'),
    data_split_config: required(
      z.object({
        eval_size: int.optional(),
        val_ratio: fraction('lt').optional(),
        min_total_records: int.optional(),
        random_seed: int.nullish(),
        limit: int.optional(),
        parse_function_arguments: bool.optional(),
      }),
      'the data split',
    ),
    icl_config: required(
      z
        .object({
          max_context_length: int.optional(),
          reserved_tokens: int.optional(),
          max_examples: int.optional(),
          min_examples: int.optional(),
          example_selection: z.enum(['uniform_distribution', 'semantic_similarity']).optional(),
          similarity_config: z
            .object({
              relevance_ratio: fraction('le').nullish(),
              embedding_nim_config: z.record(z.string(), z.unknown()).nullish(),
            })
            .nullish(),
        })
        .refine((c) => c.example_selection !== 'semantic_similarity' || c.similarity_config?.embedding_nim_config, {
          message: 'example_selection is semantic_similarity but similarity_config.embedding_nim_config is missing',
        }),
      'ICL',
    ),
    logging_config: z.object({ level: str.optional() }).optional(),
    mlflow_config: z
      .object({
        enabled: bool.optional(),
        tracking_uri: str.optional(),
        experiment_name_prefix: str.optional(),
        artifact_location: str.optional(),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    // Settings' own rule: ICL examples come out of the evaluation set.
    const max = Number(s.icl_config?.max_examples ?? 3);
    const evalSize = Number(s.data_split_config?.eval_size ?? 20);
    if (max > evalSize)
      ctx.addIssue({
        code: 'custom',
        path: ['icl_config', 'max_examples'],
        message: `(${max}) cannot exceed data_split_config.eval_size (${evalSize})`,
      });
  });

/** Every reason the blueprint would refuse the text, as `path: problem` lines; [] when it loads. */
export function settingsProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return [`not valid YAML: ${(e as Error).message.split('\n')[0]}`];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['the document is not a mapping of settings'];
  const parsed = FlywheelSettingsSchema.safeParse(doc);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
}

const sections = { dataFlywheel: DataFlywheelSection };
type Config = ConfigOf<typeof sections>;

interface SettingsSubject {
  text?: string;
  /** Where the flywheel runs and which blueprint release its image is (shown, not used to pick rules). */
  release?: string;
}

const FLYWHEEL_IMAGE = /\/data-flywheel:(\S+)$/;

export function judgeSettings(subject: SettingsSubject, config: Config): Finding {
  const { configMap, configKey } = config.dataFlywheel;
  const evidence: Evidence[] = [
    {
      label: 'Checked against',
      value: `the settings of Data Flywheel blueprint 0.3.x (src/config.py)${subject.release ? `; this namespace runs ${subject.release}` : ''}`,
      tone: 'info',
    },
  ];
  if (subject.text === undefined) return coded(codes, 'FD-FWCFG-001', { configMap, configKey }, { evidence });
  const problems = settingsProblems(subject.text);
  if (!problems.length) return { status: 'pass', summary: `${configMap} loads as the flywheel's settings`, evidence };
  evidence.push({ label: `${configMap} ${configKey}`, value: problems.join('\n'), tone: 'bad', code: true });
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return coded(codes, 'FD-FWCFG-002', { configMap, problem: problems[0]!, more }, { evidence });
}

export default defineCheck<typeof sections, SettingsSubject, Record<string, never>>({
  id: 'flywheel-config',
  title: 'The flywheel can load its settings (df-config)',
  area: 'Data Flywheel',
  config: sections,
  codes,
  needs: ['configmaps', 'deployments'],
  explain: {
    symptom:
      'df-api, df-celery-worker and df-celery-parent-worker crash-loop right after start with a pydantic ValidationError (for example "data_split_config.limit: Input should be a valid integer"); no job can be created.',
    rootCause:
      'The blueprint validates config.yaml when its settings module is imported, before serving anything. A value of the wrong type (a null where an integer is required), a missing section or a broken rule (ICL max_examples above eval_size) stops every flywheel process.',
    manualFix: (c) => [
      `oc edit configmap ${c.dataFlywheel.configMap} -n ${c.namespace}   # correct the fields this check names (see the blueprint's config/config.yaml for the defaults)`,
      `oc rollout restart deployment -n ${c.namespace} -l app.kubernetes.io/part-of=data-flywheel   # or restart df-api, df-celery-worker and df-celery-parent-worker by name`,
    ],
  },
  locate: (snapshot, config) => {
    const cm: KObject | undefined = snapshot.find('configmaps', config.dataFlywheel.configMap);
    const image = snapshot
      .list('deployments')
      .flatMap((d) => (d.spec?.template?.spec?.containers ?? []) as Array<{ image?: string }>)
      .map((c) => c.image?.match(FLYWHEEL_IMAGE)?.[1])
      .find(Boolean);
    return {
      text: cm?.data?.[config.dataFlywheel.configKey],
      release: image ? `data-flywheel ${image}` : undefined,
    };
  },
  probe: async () => ({}),
  judge: ({ subject, config }) => judgeSettings(subject, config),
});
