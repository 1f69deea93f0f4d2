import { findById } from '../lib/engine/types';

/**
 * The CLI's words, read but not yet validated: cli/main.ts validates them (FlagsSchema), and
 * cli/early-reads.ts reads them before the engine and its schemas have loaded.
 */
export interface RawFlags {
  command: string;
  positional: string[];
  check: string[];
  skip: string[];
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  [flag: string]: unknown;
}

const VALUE_FLAGS: Record<string, string> = {
  '--namespace': 'namespace',
  '-n': 'namespace',
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '--format': 'format',
  '-o': 'format',
  '--check': 'check',
  '--skip': 'skip',
  '--target': 'target',
  '--dashboard-url': 'dashboardUrl',
  '--since': 'since',
};

/** Throws on a flag it does not know or one missing its value. */
export function readArgs(argv: string[]): RawFlags {
  const [command = 'help', ...rest] = argv;
  const out: RawFlags = {
    command: command === '--help' || command === '-h' ? 'help' : command,
    positional: [],
    check: [],
    skip: [],
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const [flag, inline] =
      a.includes('=') && a.startsWith('--')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (flag in VALUE_FLAGS) {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      const key = VALUE_FLAGS[flag]!;
      if (key === 'check' || key === 'skip') out[key].push(v);
      else out[key] = v;
    } else if (flag === '--dry-run') out.dryRun = true;
    else if (flag === '--yes' || flag === '-y') out.yes = true;
    else if (flag === '--all') out.all = true;
    else if (flag.startsWith('-')) throw new Error(`unknown flag ${flag}`);
    else out.positional.push(a);
  }
  return out;
}

/**
 * The ids `run --check … --skip …` runs, as given (a former id stays as given: the engine resolves
 * it), every check when none is named; `unknownSkip`: a skipped id no check has.
 */
export function runSelection(
  registry: readonly { id: string; aliases?: readonly string[] }[],
  check: readonly string[],
  skip: readonly string[],
): { ids: string[]; unknownSkip?: string } {
  const unknownSkip = skip.find((id) => !findById(registry, id));
  const skipped = skip.map((id) => findById(registry, id)?.id);
  const ids = (check.length ? check : registry.map((c) => c.id)).filter(
    (id) => !skipped.includes(findById(registry, id)?.id ?? id),
  );
  return { ids, unknownSkip };
}
