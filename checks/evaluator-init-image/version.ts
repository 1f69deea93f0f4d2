// evaluator-init-image: which variable an evaluator's migration reads, by its version band.
import { z } from 'zod';

export const EVALUATOR_IMAGE_ENV = 'EVALUATOR_IMAGE';
/** What the NIM Operator (3.0.x-3.1.x) sets on the migration container for every evaluator tag. */
export const EVAL_CONTAINER_ENV = 'EVAL_CONTAINER';

/**
 * The evaluator's database migration init container, and the first evaluator version (calendar
 * YY.MM, as its image tags) whose migration reads EVALUATOR_IMAGE: 25.12 (real-stack.md). Earlier
 * evaluators were written against what the operator renders (EVAL_CONTAINER).
 */
export const EvaluatorInitSection = z
  .object({
    initContainer: z.string().default('evaluator-db-migration'),
    evaluatorImageFrom: z
      .string()
      .regex(/^\d{2}\.\d{2}$/, 'a calendar version YY.MM, as in evaluator image tags (25.12)')
      .default('25.12'),
  })
  .prefault({});

/** An evaluator image tag's calendar version (25.12, v25.12.1, 25.12-rc1 → 2512), or undefined (latest, digests, custom tags). */
export function evaluatorVersion(image: string | undefined): { tag: string; version?: number } | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : at >= 0 ? image.slice(at + 1) : 'latest';
  const m = /^v?(\d{2})\.(\d{2})(?:[.+-].*)?$/.exec(tag);
  return { tag, version: m ? Number(m[1]) * 100 + Number(m[2]) : undefined };
}

/** Which variable this evaluator's migration reads, by its version band; `unknown` says why it cannot be told. */
export function migrationVariable(
  image: string | undefined,
  from: string,
): { reads: typeof EVALUATOR_IMAGE_ENV | typeof EVAL_CONTAINER_ENV; band: string } | { unknown: string } {
  const v = evaluatorVersion(image);
  if (!v) return { unknown: 'the evaluator image is not known' };
  if (v.version === undefined) return { unknown: `image tag "${v.tag}" is not a calendar version (YY.MM)` };
  const threshold = Number(from.replace('.', ''));
  return v.version >= threshold
    ? { reads: EVALUATOR_IMAGE_ENV, band: `${v.tag} (${from} or later)` }
    : { reads: EVAL_CONTAINER_ENV, band: `${v.tag} (before ${from})` };
}
