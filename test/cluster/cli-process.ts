import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * Runs the CLI as a user would and kills it (SIGKILL, by its PID) the moment its output matches:
 * a process dying midway, for fault tests and the reliability bench. Resolves with the output so
 * far once the process is gone; rejects if it never printed the pattern.
 */
export async function killCliWhen(
  args: string[],
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let seen = false;
  const closed = new Promise((r) => child.on('close', r));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stdout.on('data', (d: Buffer) => {
    output += d;
    if (!seen && pattern.test(output)) {
      seen = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (d: Buffer) => (output += d));
  await closed;
  clearTimeout(timer);
  if (!seen) throw new Error(`the CLI never printed ${pattern}: ${output.slice(-500)}`);
  return output;
}
