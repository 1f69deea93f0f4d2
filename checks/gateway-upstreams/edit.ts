// gateway-upstreams: the ConfigMap text with the wrong upstreams rewritten.
import { spliceText, type Directive } from '../../lib/nginx';
import { type GatewayConfigView } from '../shared/gateway-config';
import { UpstreamProblem } from './judge';

/** The config text with each problem's argument replaced (directives edited from the last to the first). */
export function editedUpstreams(view: GatewayConfigView, problems: UpstreamProblem[]): string {
  let out = view.conf;
  const edits = problems.filter((p) => p.edit).map((p) => p.edit!);
  const byDirective = new Map<Directive, string[]>();
  for (const e of edits) {
    const args = byDirective.get(e.directive) ?? [...e.directive.args];
    args[e.argIndex] = e.value;
    byDirective.set(e.directive, args);
  }
  for (const [d, args] of [...byDirective].sort((a, b) => b[0].start - a[0].start))
    out = spliceText(out, d.start, d.end, `${d.name} ${args.join(' ')};`);
  return out;
}
