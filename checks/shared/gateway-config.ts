import { jsonPointerEscape, type JsonPatchOp } from '../../lib/k8s/client';
import {
  directiveArgs,
  matchLocation,
  nginxQuote,
  parseNginx,
  returnOf,
  serverLocations,
  spliceText,
  type Directive,
  type Location,
} from '../../lib/nginx';

/** The port nemo-gateway's nginx listens on in its container (domain.md §5). */
export const GATEWAY_CONTAINER_PORT = 8080;

/** What the gateway's nginx.conf configures, read as nginx reads it. */
export interface GatewayConfigView {
  conf: string;
  locations: Location[];
  server?: Directive;
  http?: Directive;
}

export function readGatewayConfig(conf: string): GatewayConfigView | { error: string } {
  try {
    const tree = parseNginx(conf);
    const http = tree.find((d) => d.name === 'http');
    // The gateway's container listens on 8080 (Service 80 -> 8080): that server answers the evaluator.
    const { server, locations } = serverLocations(tree, GATEWAY_CONTAINER_PORT);
    return { conf, locations, server, http };
  } catch (e) {
    return { error: `nginx.conf cannot be parsed: ${(e as Error).message}` };
  }
}

/** "line 12: location ~ ^/v1/models" — how a block is named in evidence and advice. */
export function describeLocation(view: GatewayConfigView, loc: Location | undefined): string {
  if (!loc) return 'no location (nginx answers 404)';
  const line = view.conf.slice(0, loc.directive.start).split('\n').length;
  return `line ${line}: location ${loc.directive.args.join(' ')}`;
}

/** The content type a `return` in this location is sent with (default_type inherits from server and http). */
export function defaultTypeFor(view: GatewayConfigView, loc: Location): string {
  return (
    directiveArgs(loc.directive.block, 'default_type')?.[0] ??
    directiveArgs(view.server?.block, 'default_type')?.[0] ??
    directiveArgs(view.http?.block, 'default_type')?.[0] ??
    'text/plain'
  );
}

export const modelPath = (model: string) => `/v1/models/${model}`;
const OTHER_MODEL_PATH = '/v1/models/fd-doctor-probe/no-such-model';
const UNROUTED_PATH = '/fd-doctor-probe/unrouted';

/** Where a location proxies to (`proxy_pass`, with `set $var value` in the block substituted); undefined if it does not. */
export function proxyTarget(loc: Location): string | undefined {
  const pass = directiveArgs(loc.directive.block, 'proxy_pass')?.[0];
  if (!pass) return undefined;
  const sets = (loc.directive.block ?? []).filter((d) => d.name === 'set');
  return pass.replace(/\$(\w+)/g, (m, v: string) => sets.find((d) => d.args[0] === `$${v}`)?.args[1] ?? m);
}

/**
 * The gateway generation (real-stack.md §1): `proxy` when any model path is proxied (the port's
 * current chart sends every /v1/models path to the Entity Store), `mock` otherwise (base models are
 * answered by mock blocks, or fall to the catch-all as in older configs that proxy only customized models).
 */
export type Generation = 'proxy' | 'mock';
export function generationOf(view: GatewayConfigView): { generation: Generation; modelRoute?: Location } {
  const route = matchLocation(view.locations, OTHER_MODEL_PATH);
  return { generation: route && proxyTarget(route) ? 'proxy' : 'mock', modelRoute: route };
}

/** The body the catch-all answers with (what nginx says for a path no route takes), when it answers by itself. */
export function catchAllBody(view: GatewayConfigView): string | undefined {
  const loc = matchLocation(view.locations, UNROUTED_PATH);
  return loc ? returnOf(loc)?.text : undefined;
}

/** Locations written for this path in particular (they match it, and not a sibling path beside it). */
export function specificLocations(view: GatewayConfigView, path: string): Location[] {
  const sibling = path.replace(/[^/]+$/, 'fd-doctor-probe-other');
  const one = (loc: Location) => matchLocation([loc], path) === loc && matchLocation([loc], sibling) !== loc;
  return view.locations.filter((l) => l.kind !== 'named' && one(l));
}

/** What the location nginx picks for a path answers by itself (`return`), whichever block it is. */
export function answerFor(
  view: GatewayConfigView,
  path: string,
): { status: number; contentType: string; body: string } | undefined {
  const loc = matchLocation(view.locations, path);
  const ret = loc && returnOf(loc);
  return ret ? { status: ret.status, contentType: defaultTypeFor(view, loc), body: ret.text ?? '' } : undefined;
}

/** What the configuration answers for one model path, and which block decides it. */
export type Configured =
  /** The winning block is this model's and answers by itself (status, content type, body). */
  | { state: 'answers'; block: Location; answer: { status: number; contentType: string; body: string } }
  /** A block for this model exists, but another location wins (nginx precedence). */
  | { state: 'shadowed'; block: Location; winner?: Location }
  /** No block for this model: the path goes to `winner` (a proxy, the catch-all, or nothing). */
  | { state: 'missing'; winner?: Location };

export function configuredFor(view: GatewayConfigView, path: string): Configured {
  const winner = matchLocation(view.locations, path);
  const own = specificLocations(view, path);
  if (winner && own.includes(winner)) {
    const ret = returnOf(winner);
    if (ret)
      return {
        state: 'answers',
        block: winner,
        answer: { status: ret.status, contentType: defaultTypeFor(view, winner), body: ret.text ?? '' },
      };
    return { state: 'missing', winner };
  }
  if (own.length) return { state: 'shadowed', block: own[0]!, winner };
  return { state: 'missing', winner };
}

/** The indentation the server's locations use (so generated blocks read like the rest). */
function indentOf(view: GatewayConfigView): string {
  const first = view.locations[0]?.directive.start;
  if (first === undefined) return '    ';
  const lineStart = view.conf.lastIndexOf('\n', first - 1) + 1;
  return view.conf.slice(lineStart, first).replace(/\S.*/, '');
}

/** An exact-match `location` answering 200 JSON: exact matches win over every prefix and regex. */
export function exactAnswerBlock(path: string, json: string, comment: string, indent: string): string {
  return [
    `# ${comment}`,
    `${indent}location = ${path} {`,
    `${indent}  default_type application/json;`,
    `${indent}  return 200 ${nginxQuote(json)};`,
    `${indent}}`,
  ].join('\n');
}

export interface BlockEdit {
  path: string;
  /** The block text for this path (from exactAnswerBlock, without the indentation of its first line). */
  build(indent: string): string;
}

/**
 * The config with exactly one block per path: the first block written for the path is replaced
 * in place, others for the same path are removed, and a path with none gets its block before the
 * catch-all `location /` (or at the end of the server block). Exact matches win wherever they sit.
 */
export function applyBlockEdits(view: GatewayConfigView, edits: BlockEdit[]): string {
  const indent = indentOf(view);
  const splices: Array<{ start: number; end: number; text: string }> = [];
  const inserts: string[] = [];
  for (const e of edits) {
    const own = specificLocations(view, e.path);
    if (own.length) {
      splices.push({
        start: own[0]!.directive.start,
        end: own[0]!.directive.end,
        text: e
          .build(indent)
          .replace(/^# .*\n/, '')
          .trimStart(),
      });
      for (const extra of own.slice(1))
        splices.push({
          start: lineStartOf(view.conf, extra.directive.start),
          end: lineEndOf(view.conf, extra.directive.end),
          text: '',
        });
    } else {
      inserts.push(e.build(indent));
    }
  }
  if (inserts.length) {
    const catchAll = view.locations.find((l) => l.kind === 'prefix' && l.pattern === '/');
    let at: number;
    if (catchAll) {
      // Keep comment lines directly above the catch-all attached to it.
      at = lineStartOf(view.conf, catchAll.directive.start);
      for (;;) {
        const prevStart = view.conf.lastIndexOf('\n', at - 2) + 1;
        if (at === 0 || !/^\s*#/.test(view.conf.slice(prevStart, at - 1))) break;
        at = prevStart;
      }
    } else if (view.server) {
      at = lineStartOf(view.conf, view.server.end - 1);
    } else {
      throw new Error('nginx.conf has no server block to add the locations to');
    }
    splices.push({ start: at, end: at, text: inserts.map((b) => `${indent}${b}\n`).join('') });
  }
  let out = view.conf;
  for (const s of splices.sort((a, b) => b.start - a.start)) out = spliceText(out, s.start, s.end, s.text);
  return out;
}

const lineStartOf = (src: string, offset: number) => src.lastIndexOf('\n', offset - 1) + 1;
function lineEndOf(src: string, offset: number): number {
  const nl = src.indexOf('\n', offset);
  return nl < 0 ? src.length : nl + 1;
}

/**
 * The JSON Patch that replaces the gateway config's text, guarded by the ConfigMap's version
 * (`guardTest`) and by the exact text the plan was made from (so by the exact blocks it replaces).
 */
export function configTextPatch(
  guardTest: JsonPatchOp,
  configKey: string,
  before: string,
  after: string,
): JsonPatchOp[] {
  const path = `/data/${jsonPointerEscape(configKey)}`;
  return [guardTest, { op: 'test', path, value: before }, { op: 'replace', path, value: after }];
}
