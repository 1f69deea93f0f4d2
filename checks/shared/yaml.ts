import { parse } from 'yaml';

/**
 * YAML parsed once per text: several checks read the same df-config in a run. The document is
 * shared, so callers only read it. A text that does not parse throws the same error each time.
 */
export function parseYamlOnce(text: string): unknown {
  let entry = PARSED.get(text);
  if (!entry) {
    try {
      entry = { doc: parse(text) as unknown };
    } catch (e) {
      entry = { error: e as Error };
    }
    if (PARSED.size >= 16) PARSED.delete(PARSED.keys().next().value!);
    PARSED.set(text, entry);
  }
  if ('error' in entry) throw entry.error;
  return entry.doc;
}

const PARSED = new Map<string, { doc: unknown } | { error: Error }>();
