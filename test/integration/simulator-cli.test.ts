/**
 * `simulate-provider` as an operator runs it: a child process that serves until SIGINT, then
 * prints its stats with keys masked.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimulateProvider } from '../../src/cli/commands/simulate-provider.js';

const COMMAND_FILE = resolve(import.meta.dirname, '../../src/cli/commands/simulate-provider.ts');

describe('aikeys simulate-provider', () => {
  it('registers its options', () => {
    const program = new Command();
    registerSimulateProvider(program);
    const command = program.commands.find((c) => c.name() === 'simulate-provider');
    expect(command?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--port', '--latency-ms', '--jitter-ms', '--seed', '--host']),
    );
  });

  it('serves until SIGINT and prints masked stats', async () => {
    const script = `
      import { Command } from 'commander';
      import { registerSimulateProvider } from ${JSON.stringify(COMMAND_FILE)};
      const program = new Command();
      registerSimulateProvider(program);
      await program.parseAsync(['node', 'aikeys', 'simulate-provider', '--port', '0', '--latency-ms', '1']);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const listening = new Promise<string>((resolveUrl, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /AI_PROVIDER_OPENAI_BASE_URL=(\S+)/.exec(stdout);
        if (match?.[1] !== undefined) resolveUrl(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stdout}`)));
    });
    const baseUrl = await listening;

    const key = 'sk-cli-test-Qw3rTy7UiOp9';
    const res = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'ping' }] }),
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(reply.choices[0]?.message.content).toBe('echo: ping');

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout).toContain('"requests": 1');
    expect(stdout).not.toContain(key);
  });
});
