/** bench/run.ts section 4: runs the engine on a namespace N times in a fresh process and reports time and memory. */
import { CHECKS } from '../checks';
import { createDoctor } from '../lib/engine/factory';

const [namespace = 'bench-scale', runsArg = '5'] = process.argv.slice(2);
const doctor = createDoctor({ registry: CHECKS, namespace, env: { KUBECONFIG: process.env.KUBECONFIG } });
const only = CHECKS.map((c) => c.id).filter((id) => id !== 'models-pvc-ownership');
const engineMs: number[] = [];
async function main() {
  for (let i = 0; i < Number(runsArg); i++) {
    const t = performance.now();
    await doctor.run(only);
    engineMs.push(performance.now() - t);
  }
}
void main().then(() =>
  console.log(
    JSON.stringify({
      engineMs,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      peakMiB: process.resourceUsage().maxRSS / 1024,
    }),
  ),
);
