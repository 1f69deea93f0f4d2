import { RE2JS } from 're2js';
/**
 * Reads nginx configuration the way nginx does, far enough to answer "which `location` serves
 * this URI?" and to edit one block in place: a tokenizer (quotes, escapes, comments), a directive
 * tree with source offsets, and nginx's location precedence.
 */

export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
  /** Offsets in the source: from the directive's first character to after its `;` or `}`. */
  start: number;
  end: number;
}

interface Token {
  text: string;
  quoted: boolean;
  start: number;
  end: number;
}

/** Unescapes a quoted nginx string the way its parser does (\" \' \\ \t \r \n; other backslashes stay). */
function unescape(raw: string): string {
  return raw.replace(/\\(["'\\trn])/g, (_m, c: string) => ({ t: '\t', r: '\r', n: '\n' })[c] ?? c);
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ text: c, quoted: false, start: i, end: i + 1 });
      i++;
    } else if (c === '"' || c === "'") {
      const start = i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      if (i >= src.length) throw new Error(`unterminated ${c} string starting at offset ${start}`);
      tokens.push({ text: unescape(src.slice(start + 1, i)), quoted: true, start, end: ++i });
    } else {
      const start = i;
      while (i < src.length && !/[\s;{}]/.test(src[i]!) && !(src[i] === '#' && i === start)) i++;
      tokens.push({ text: src.slice(start, i), quoted: false, start, end: i });
    }
  }
  return tokens;
}

/** Parses nginx.conf into directives; throws with the offset on unbalanced braces or quotes. */
export function parseNginx(src: string): Directive[] {
  const tokens = tokenize(src);
  let pos = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.text === '}' && !t.quoted) {
        if (!nested) throw new Error(`unexpected "}" at offset ${t.start}`);
        return out;
      }
      const words: Token[] = [];
      while (pos < tokens.length && (tokens[pos]!.quoted || !['{', '}', ';'].includes(tokens[pos]!.text)))
        words.push(tokens[pos++]!);
      const end = tokens[pos];
      if (!end || end.text === '}')
        throw new Error(
          `directive "${words[0]?.text ?? ''}" at offset ${words[0]?.start ?? t.start} is not terminated by ";"`,
        );
      pos++;
      const d: Directive = {
        name: words[0]?.text ?? '',
        args: words.slice(1).map((w) => w.text),
        start: words[0]?.start ?? end.start,
        end: end.end,
      };
      if (end.text === '{') {
        d.block = parseBlock(true);
        const close = tokens[pos];
        if (!close) throw new Error(`block "${d.name}" at offset ${d.start} is not closed`);
        d.end = close.end;
        pos++;
      }
      if (d.name) out.push(d);
    }
    if (nested) throw new Error('a block is not closed');
    return out;
  };
  return parseBlock(false);
}

export type LocationKind = 'exact' | 'prefix' | 'preferred-prefix' | 'regex' | 'regex-i' | 'named';

export interface Location {
  kind: LocationKind;
  pattern: string;
  directive: Directive;
}

export function toLocation(d: Directive): Location {
  const [first = '', second = ''] = d.args;
  if (first === '=') return { kind: 'exact', pattern: second, directive: d };
  if (first === '^~') return { kind: 'preferred-prefix', pattern: second, directive: d };
  if (first === '~') return { kind: 'regex', pattern: second, directive: d };
  if (first === '~*') return { kind: 'regex-i', pattern: second, directive: d };
  if (first.startsWith('@')) return { kind: 'named', pattern: first, directive: d };
  // Modifier glued to the pattern (`location =/x`) is accepted by nginx too.
  const glued = first.match(/^(=|\^~|~\*|~)(.+)$/);
  if (glued) return toLocation({ ...d, args: [glued[1]!, glued[2]!] });
  return { kind: 'prefix', pattern: first, directive: d };
}

/** Every `server` block, at any depth (under `http`, or at the top of a snippet). */
export function serverBlocks(conf: Directive[]): Directive[] {
  return conf.flatMap((d) => (d.name === 'server' && d.block ? [d] : d.block ? serverBlocks(d.block) : []));
}

/**
 * The server-level locations of the server that answers on `port` (by its `listen`; else the
 * `default_server`, else the first), or of a bare snippet of locations.
 */
export function serverLocations(conf: Directive[], port?: number): { server?: Directive; locations: Location[] } {
  const servers = serverBlocks(conf);
  const listens = (srv: Directive, test: (args: string[]) => boolean) =>
    (srv.block ?? []).some((d) => d.name === 'listen' && test(d.args));
  const server =
    (port !== undefined
      ? servers.find((srv) => listens(srv, (a) => new RegExp(`(^|:)${port}$`).test(a[0] ?? '')))
      : undefined) ??
    servers.find((srv) => listens(srv, (a) => a.includes('default_server'))) ??
    servers[0];
  const ds = server?.block ?? conf;
  return { server, locations: ds.filter((d) => d.name === 'location' && d.block).map(toLocation) };
}

/** A location pattern the doctor will not evaluate: judging it could take unbounded time. */
export class UnjudgedPatternError extends Error {
  constructor(readonly pattern: string) {
    super(
      `the gateway's location pattern ${JSON.stringify(pattern.slice(0, 200))} is not one Flywheel Doctor evaluates (a backreference, lookaround or other PCRE-only feature, or invalid) (patterns from the cluster are matched in linear time, so that a config cannot stall it): check by hand which location answers this path, or rewrite the pattern without it`,
    );
  }
}

export interface PatternMatcher {
  test(uri: string): boolean;
}

/**
 * nginx PCRE patterns, matched by a linear-time engine (RE2's algorithm): a pattern from a ConfigMap
 * such as `(.*)*!$` would otherwise backtrack for hours on the event loop. UnjudgedPatternError for
 * what RE2 does not accept (PCRE-only features, or a pattern nginx would refuse too).
 */
export function locationRegex(loc: Location): PatternMatcher {
  const key = `${loc.kind} ${loc.pattern}`;
  let compiled = COMPILED.get(key);
  if (!compiled) {
    try {
      const re = RE2JS.compile(loc.pattern, loc.kind === 'regex-i' ? RE2JS.CASE_INSENSITIVE : 0);
      compiled = { test: (uri) => re.matcher(uri).find() };
    } catch {
      compiled = new UnjudgedPatternError(loc.pattern);
    }
    // Compiling is the costly part and the same few patterns are tested for every path of a run.
    if (COMPILED.size >= 500) COMPILED.clear();
    COMPILED.set(key, compiled);
  }
  if (compiled instanceof UnjudgedPatternError) throw compiled;
  return compiled;
}

const COMPILED = new Map<string, PatternMatcher | UnjudgedPatternError>();

/**
 * The location nginx picks for a URI: an exact match wins outright; otherwise the longest matching
 * prefix is remembered and wins if it is `^~`; otherwise regexes are tried in file order and the
 * first match wins; otherwise the remembered prefix answers.
 */
export function matchLocation(locations: Location[], uri: string): Location | undefined {
  const exact = locations.find((l) => l.kind === 'exact' && l.pattern === uri);
  if (exact) return exact;
  let prefix: Location | undefined;
  for (const l of locations) {
    if ((l.kind === 'prefix' || l.kind === 'preferred-prefix') && uri.startsWith(l.pattern)) {
      if (!prefix || l.pattern.length > prefix.pattern.length) prefix = l;
    }
  }
  if (prefix?.kind === 'preferred-prefix') return prefix;
  for (const l of locations) {
    if (l.kind !== 'regex' && l.kind !== 'regex-i') continue;
    if (locationRegex(l).test(uri)) return l;
  }
  return prefix;
}

/** The first value of a directive inside a block (e.g. `default_type`), undefined when absent. */
export function directiveArgs(block: Directive[] | undefined, name: string): string[] | undefined {
  return block?.find((d) => d.name === name)?.args;
}

/** The `return` of a location: status and text, when it answers by itself. */
export function returnOf(loc: Location): { status: number; text?: string } | undefined {
  const args = directiveArgs(loc.directive.block, 'return');
  if (!args?.length) return undefined;
  const status = Number(args[0]);
  return Number.isFinite(status) ? { status, text: args[1] } : undefined;
}

/** Quotes text as an nginx single-quoted string (backslash and quote escaped). */
export function nginxQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The text of a config with [start, end) replaced. */
export function spliceText(src: string, start: number, end: number, replacement: string): string {
  return src.slice(0, start) + replacement + src.slice(end);
}
