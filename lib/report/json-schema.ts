import { z } from 'zod';

/**
 * The contract of every JSON the CLI prints for `run --format json`: the run report, or, when the run
 * could not start or finish (exit 2), an error object. `schemaVersion` changes only when a field is
 * removed or changes meaning; fields may be added. Published as schemas/run-report.schema.json
 * (generated from these types: `npx tsx scripts/gen-json-schema.ts`; a test fails when it is stale).
 */
export const JSON_SCHEMA_VERSION = 1 as const;

const status = z.enum(['pass', 'warn', 'fail', 'error', 'skipped']);
const count = z.number().int().nonnegative();

export const RunReportSchema = z
  .object({
    schemaVersion: z.literal(JSON_SCHEMA_VERSION),
    namespace: z.string(),
    startedAt: z.string().describe('ISO 8601'),
    finishedAt: z.string().optional(),
    verdict: z.enum(['healthy', 'degraded', 'unhealthy', 'incomplete']),
    summary: z.object({
      pass: count,
      warn: count,
      fail: count,
      error: count,
      skipped: count,
      suppressed: count.describe('findings accepted in the configuration, counted here instead of under their status'),
    }),
    notice: z.string().optional().describe('about the namespace as a whole, e.g. that it is being deleted'),
    checks: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        area: z.string(),
        status,
        summary: z.string(),
        code: z.string().optional().describe('the stable finding code (every result but a pass has one)'),
        codeTitle: z.string().optional(),
        defaultSeverity: z
          .enum(['warn', 'fail', 'error', 'skipped'])
          .optional()
          .describe("the code's own severity, when the configuration changed it"),
        suppressed: z
          .object({ reason: z.string(), by: z.string(), expires: z.string().optional() })
          .optional()
          .describe('accepted in the configuration: not part of the verdict or the exit code'),
        evidence: z.array(
          z.object({
            label: z.string(),
            value: z.string(),
            tone: z.enum(['good', 'bad', 'info']).optional(),
            code: z.boolean().optional(),
          }),
        ),
        rootCause: z.string(),
        manualFix: z.array(z.string()),
        fix: z.object({ available: z.boolean(), description: z.string(), reason: z.string().optional() }),
        durationMs: z.number().nonnegative(),
      }),
    ),
  })
  .describe('flywheel-doctor run --format json');

export const RunErrorSchema = z
  .object({
    schemaVersion: z.literal(JSON_SCHEMA_VERSION),
    error: z.object({
      message: z.string().describe('what went wrong and what to do'),
      exitCode: z.literal(2),
    }),
  })
  .describe('flywheel-doctor run --format json when the run could not start or finish (exit 2)');

export const JsonOutputSchema = z.union([RunReportSchema, RunErrorSchema]);

/** The published JSON Schema (draft 2020-12), as written to schemas/run-report.schema.json. */
export function publishedJsonSchema(): string {
  const schema = z.toJSONSchema(JsonOutputSchema, { target: 'draft-2020-12', io: 'output' });
  return (
    JSON.stringify(
      {
        $id: 'https://flywheel-doctor.dev/schemas/run-report.schema.json',
        title: 'Flywheel Doctor JSON output',
        ...schema,
      },
      null,
      2,
    ) + '\n'
  );
}
