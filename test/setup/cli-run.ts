/** Runs the `aikeys` CLI in this process with captured output, as tests need it. */
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(
  args: readonly string[],
  options: { env: NonNullable<CliContext['env']>; cwd: string },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    env: options.env,
    cwd: options.cwd,
  };
  const code = await runCli([...args], ctx);
  return { code, stdout, stderr };
}
