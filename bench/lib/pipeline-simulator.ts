/**
 * The simulated provider in a child process of its own. On this 2-core machine an HTTP client and
 * server in ONE process reach only a few hundred requests/s, so the bench process would measure
 * its own event loop rather than the pipeline. The child is the real CLI command
 * (`aikeys simulate-provider`), started through tsx with the current node binary (no npx shell).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SimulatorChild {
  /** `http://127.0.0.1:<port>/v1`: the OpenAI-format base URL. */
  readonly openaiBaseUrl: string;
  readonly pid: number;
  close(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const READY = /Simulated provider listening on (http:\/\/\S+)/;

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startSimulatorChild(latencyMs: number): Promise<SimulatorChild> {
  const args = [
    '--import',
    'tsx',
    CLI,
    'simulate-provider',
    '--port',
    '0',
    '--latency-ms',
    String(latencyMs),
    '--approx-tokens',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`simulator did not start within 30 s:\n${output}`)),
        30_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = READY.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`simulator exited (${code}) before it was ready:\n${output}`));
      });
    });
    // Keep draining its pipes so the child never blocks on a full stdout.
    child.stdout?.resume();
    child.stderr?.resume();
    return { openaiBaseUrl: `${url}/v1`, pid: child.pid ?? -1, close: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}
