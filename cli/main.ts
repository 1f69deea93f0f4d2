/**
 * flywheel-doctor: the command-line front door to the same engine the dashboard uses.
 *
 *   flywheel-doctor run [--namespace NS] [--kubeconfig F] [--context C] [--check ID]... [--skip ID]... [--format text|json|markdown|junit]
 *   flywheel-doctor fix ID [--target WORKLOAD] [--dry-run] [--yes] [--namespace NS] [--kubeconfig F] [--context C] [--format text|json]
 *   flywheel-doctor fix --all [--dry-run] [--yes] [--namespace NS] [--kubeconfig F] [--context C] [--format text|json]
 *   flywheel-doctor list
 *
 * Exit codes: 0 no failures, 1 at least one `fail`, 2 could not run or any `error`.
 */
import readline from 'node:readline/promises';
import { z } from 'zod';
import { CHECKS } from '../checks';
import { compact, lineDiff } from '../lib/diff';
import type { Doctor } from '../lib/engine/doctor';
import { createDoctor } from '../lib/engine/factory';
import { errorMessage } from '../lib/k8s/errors';
import { FixConflictError, type FixOutcome } from '../lib/engine/fix';
import type { FixAllStep } from '../lib/engine/fix-all';
import { redactDeep, redactRun, redactText } from '../lib/report/redact';

// Everything the CLI prints leaves the machine (tickets, CI logs): masked on the way out, every
// format and stream (plans, verified results and errors carry cluster text too).
// JSON is masked before it is serialised (inside a JSON string, quotes around a key are escaped) and
// printed as it is: masking the serialised text again could break it (`"…Token": ***,`).
class MaskedJson {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}
const out = (text: string | MaskedJson) =>
  process.stdout.write(text instanceof MaskedJson ? text.text : redactText(text, 'output', []));
const errOut = (text: string) => process.stderr.write(redactText(text, 'output', []));
const json = (value: unknown, indent?: number) =>
  new MaskedJson(JSON.stringify(redactDeep(value), null, indent) + (indent ? '\n' : ''));
import { JSON_SCHEMA_VERSION, type RunErrorSchema } from '../lib/report/json-schema';
import { renderJunit, renderMarkdown, renderText, toJsonReport } from '../lib/report/render';
import { readArgs, runSelection } from './args';
import type { EarlyReads } from './early-reads';
import { jobsExitCode, jobsReport, parseSince, renderJobsMarkdown, renderJobsText } from './jobs';

const USAGE = `usage:
  flywheel-doctor run [--namespace NS] [--kubeconfig FILE] [--context NAME] [--check ID]... [--skip ID]... [--format text|json|markdown|junit] [--dashboard-url URL]
  flywheel-doctor fix ID [--target WORKLOAD] [--dry-run] [--yes] [--namespace NS] [--kubeconfig FILE] [--context NAME] [--format text|json]
  flywheel-doctor fix --all [--dry-run] [--yes] ...   every failing check with an automatic fix, in an order that does not undo itself
  flywheel-doctor jobs [--since 7d] [--format text|json|markdown] [--namespace NS] ...   recent flywheel jobs, each failure traced to its check (exit 1: a job failed for a cause that still fails)
  flywheel-doctor list
exit codes: 0 no failures, 1 at least one check failed, 2 could not run or a check errored`;

const FlagsSchema = z.object({
  command: z.enum(['run', 'fix', 'jobs', 'list', 'help']),
  positional: z.array(z.string()),
  namespace: z.string().optional(),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  check: z.array(z.string()).default([]),
  skip: z.array(z.string()).default([]),
  format: z.enum(['text', 'json', 'markdown', 'junit']).default('text'),
  dryRun: z.boolean().default(false),
  target: z.string().optional(),
  yes: z.boolean().default(false),
  all: z.boolean().default(false),
  /** Where the dashboard is served: text output links each check that is not passing to its page. */
  dashboardUrl: z.string().url().optional(),
  /** jobs: the window, e.g. 24h, 7d (default), 90m. */
  since: z.string().default('7d'),
});
type Flags = z.infer<typeof FlagsSchema>;

export function parseArgs(argv: string[]): Flags {
  const out = readArgs(argv);
  const parsed = FlagsSchema.safeParse(out);
  if (!parsed.success)
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; '));
  return parsed.data;
}

function printOutcome(o: FixOutcome) {
  const p = o.plan;
  out(`${p.summary}\n`);
  for (const c of p.changes) {
    out(`  ${c.action} ${c.target}: ${c.description}\n`);
    if (c.before !== undefined && c.after !== undefined) {
      if (c.before.includes('\n') || c.after.includes('\n')) {
        // Multi-line values (configs, rules): a compact diff reads better than the JSON Patch.
        for (const l of compact(lineDiff(c.before, c.after), 2))
          out(
            l.kind === 'skip'
              ? `    ⋯ ${l.count} unchanged line(s)\n`
              : `    ${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '} ${l.text}\n`,
          );
        continue;
      }
      out(`    before: ${c.before}\n    after:  ${c.after}\n`);
    }
    if (c.patch) out(`    JSON Patch: ${json(c.patch)}\n`);
  }
  for (const r of p.risks) out(`  risk: ${r}\n`);
}

/** Every JSON document the CLI prints carries the schema version (fix plans and outcomes too). */
const versioned = (value: object, indent: number) => json({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, indent);

/** The JSON printed instead of a report when a run cannot start or finish (RunErrorSchema). */
function jsonError(message: string): MaskedJson {
  const body: z.infer<typeof RunErrorSchema> = {
    schemaVersion: JSON_SCHEMA_VERSION,
    error: { message: redactText(message, 'error', []), exitCode: 2 },
  };
  return json(body, 2);
}

/** `early`: the run's lists, already started by cli/bin.ts (cli/early-reads.ts). */
export async function main(argv: string[], early?: EarlyReads): Promise<number> {
  let flags: Flags;
  try {
    flags = parseArgs(argv);
  } catch (err) {
    errOut(`${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  if (flags.command === 'help') {
    out(`${USAGE}\n`);
    return 0;
  }
  if (flags.command === 'list') {
    for (const c of CHECKS) out(`${c.id.padEnd(28)} ${c.title}${c.fix ? ' (fix available)' : ''}\n`);
    return 0;
  }
  let doctor: Doctor;
  try {
    doctor = createDoctor({
      registry: CHECKS,
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      namespace: flags.namespace,
      // A run opens its reads in parallel: one HTTP/2 connection, one TLS handshake (as kubectl).
      http2: true,
      access: early?.access,
    });
  } catch (err) {
    errOut(`flywheel-doctor: ${errorMessage(err)}\n`);
    if (flags.command === 'run' && flags.format === 'json') out(jsonError(errorMessage(err)));
    return 2;
  }

  if (flags.command === 'jobs') return jobsCommand(doctor, flags);

  if (flags.command === 'run') {
    try {
      const ids = CHECKS.map((c) => c.id);
      const { ids: selected, unknownSkip } = runSelection(CHECKS, flags.check, flags.skip);
      if (unknownSkip) throw new Error(`unknown check id to skip: ${unknownSkip}; known: ${ids.join(', ')}`);
      const raw = await doctor.run(selected.length === ids.length ? undefined : selected, 'fresh', {
        underway: early?.snapshot,
      });
      if (raw.error) throw new Error(raw.error);
      // Output leaves the machine (tickets, CI logs): mask credential-looking values.
      const { run } = redactRun(raw);
      const rendered =
        flags.format === 'json'
          ? json(toJsonReport(run), 2)
          : flags.format === 'markdown'
            ? renderMarkdown(run)
            : flags.format === 'junit'
              ? renderJunit(run)
              : renderText(run);
      out(rendered);
      if (flags.format === 'text' && flags.dashboardUrl) out(dashboardLinks(run, flags.dashboardUrl));
      return run.summary.error > 0 ? 2 : run.summary.fail > 0 ? 1 : 0;
    } catch (err) {
      errOut(`flywheel-doctor: could not run: ${errorMessage(err)}\n`);
      // A script reading --format json gets the reason exactly when it needs one.
      if (flags.format === 'json') out(jsonError(`could not run: ${errorMessage(err)}`));
      return 2;
    }
  }

  // fix
  if (flags.all) return fixEverything(doctor, flags);
  const id = flags.positional[0];
  if (!id) {
    errOut(`fix needs a check id (or --all)\n${USAGE}\n`);
    return 2;
  }
  try {
    const preview = await doctor.fix(id, { dryRun: true, target: flags.target });
    if (flags.format === 'text') printOutcome(preview);
    if (preview.plan.noop) {
      if (flags.format === 'json') out(versioned(preview, 2));
      else out('nothing to do\n');
      return 0;
    }
    if (flags.dryRun) {
      if (flags.format === 'json') out(versioned(preview, 2));
      else out('dry run: nothing was changed (the server accepted the changes with dryRun=All)\n');
      return 0;
    }
    const confirmed = await confirm(flags, 'Apply these changes? [y/N] ');
    if (confirmed !== 'yes') return confirmed === 'refused' ? 2 : 0;
    const outcome = await doctor.fix(id, {
      dryRun: false,
      target: flags.target,
      expectedGuards: preview.plan.guards,
      expectedFingerprint: preview.plan.fingerprint,
      onProgress: (s) => flags.format === 'text' && out(`  … ${s}\n`),
    });
    if (flags.format === 'json') out(versioned(outcome, 2));
    else if ('verified' in outcome) {
      out(`verified: ${outcome.verified.status.toUpperCase()} — ${outcome.verified.summary}\n`);
      for (const a of outcome.outcome === 'applied' ? (outcome.affected ?? []) : [])
        out(`re-checked ${a.id} (this fix can undo it): ${a.status.toUpperCase()} — ${a.summary}\n`);
    }
    const status = 'verified' in outcome ? outcome.verified.status : 'pass';
    return status === 'error' ? 2 : status === 'fail' ? 1 : 0;
  } catch (err) {
    errOut(
      `flywheel-doctor: ${err instanceof FixConflictError || /^fix failed/.test(errorMessage(err)) ? '' : 'fix failed: '}${errorMessage(err)}\n`,
    );
    return 2;
  }
}

/** `jobs`: the window's flywheel jobs, each failed or stuck one explained (cli/jobs.ts). */
async function jobsCommand(doctor: Doctor, flags: Flags): Promise<number> {
  const window = parseSince(flags.since);
  if (!window || flags.format === 'junit') {
    errOut(`jobs takes --since as 90m, 24h or 7d and --format text, json or markdown\n${USAGE}\n`);
    return 2;
  }
  try {
    const report = await jobsReport(doctor, window);
    out(
      flags.format === 'json'
        ? versioned(report, 2)
        : flags.format === 'markdown'
          ? renderJobsMarkdown(report)
          : renderJobsText(report),
    );
    return jobsExitCode(report);
  } catch (err) {
    errOut(`flywheel-doctor: could not read the flywheel's jobs: ${errorMessage(err)}\n`);
    if (flags.format === 'json') out(jsonError(`could not read the flywheel's jobs: ${errorMessage(err)}`));
    return 2;
  }
}

/** `fix --all`: shows the ordered plan, asks (or takes --yes), applies, and reports the whole sequence. */
async function fixEverything(doctor: Doctor, flags: Flags): Promise<number> {
  const show = (steps: FixAllStep[]) => {
    for (const [i, st] of steps.entries())
      out(
        `${String(i + 1).padStart(2)}. ${st.checkId} (${st.before}): ${st.outcome}${st.verified ? ` -> verified ${st.verified.toUpperCase()}` : ''} — ${st.summary}\n`,
      );
  };
  try {
    const preview = await doctor.fixAll({ dryRun: true });
    const planned = preview.steps.filter((st) => st.outcome === 'planned');
    if (flags.format === 'text') {
      out(planned.length ? 'Fix all, in this order:\n' : 'nothing to fix automatically\n');
      show(preview.steps);
    }
    if (!planned.length || flags.dryRun) {
      if (flags.format === 'json') out(versioned(preview, 2));
      else if (flags.dryRun) out('dry run: nothing was changed\n');
      return 0;
    }
    const confirmed = await confirm(flags, `Apply these ${planned.length} fixes? [y/N] `);
    if (confirmed !== 'yes') return confirmed === 'refused' ? 2 : 0;
    const result = await doctor.fixAll({
      dryRun: false,
      // Applies what was shown: these steps, each as previewed (a changed one is refused).
      expected: Object.fromEntries(planned.map((st) => [st.checkId, st.intent ?? ''])),
      onProgress: (st) => flags.format === 'text' && out(`  … ${st}\n`),
    });
    if (flags.format === 'json') out(versioned(result, 2));
    else {
      out('\nWhat was done:\n');
      show(result.steps);
      out(`\nAfter: ${renderText(result.after!)}`);
    }
    const after = result.after!.summary;
    return after.error > 0 || result.steps.some((st) => st.outcome === 'failed') ? 2 : after.fail > 0 ? 1 : 0;
  } catch (err) {
    errOut(`flywheel-doctor: fix --all failed: ${errorMessage(err)}\n`);
    return 2;
  }
}

/** --yes, or a terminal answer; without a terminal nothing changes unconfirmed. */
async function confirm(flags: Flags, question: string): Promise<'yes' | 'cancelled' | 'refused'> {
  if (flags.yes) return 'yes';
  if (!process.stdin.isTTY) {
    errOut('refusing to change the cluster without confirmation: pass --yes (or run in a terminal)\n');
    return 'refused';
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(question);
  rl.close();
  if (/^y(es)?$/i.test(answer.trim())) return 'yes';
  out('cancelled\n');
  return 'cancelled';
}

/** "Open in the dashboard": the page of each check that is not passing. */
function dashboardLinks(
  run: { namespace: string; checks: Array<{ id: string; status: string }> },
  base: string,
): string {
  const open = run.checks.filter((c) => c.status !== 'pass' && c.status !== 'skipped');
  if (!open.length) return '';
  const url = (id: string) =>
    `${base.replace(/\/$/, '')}/checks/${encodeURIComponent(id)}?namespace=${encodeURIComponent(run.namespace)}`;
  return `\nOpen in the dashboard:\n${open.map((c) => `  ${c.id}: ${url(c.id)}`).join('\n')}\n`;
}
