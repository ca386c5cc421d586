/**
 * `aikeys simulate-provider`: runs the simulated AI provider (src/simulator) in the foreground
 * until SIGINT/SIGTERM, for the demo, manual runs and benchmarks on another machine. Point a
 * provider at it with `AI_PROVIDER_OPENAI_BASE_URL=http://127.0.0.1:6556/v1` (OpenAI format) or
 * `AI_PROVIDER_ANTHROPIC_BASE_URL=http://127.0.0.1:6556` (Anthropic format).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger, type Logger } from '../../core/logger.js';

function nonNegativeInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

interface SimulateOptions {
  port: number;
  host: string;
  latencyMs: number;
  jitterMs: number;
  seed: number;
  approxTokens?: boolean;
}

export function registerSimulateProvider(program: Command, deps: { logger?: Logger } = {}): void {
  program
    .command('simulate-provider')
    .description(
      'Run a simulated AI provider (OpenAI and Anthropic wire formats) until Ctrl-C. Keys choose the behaviour: ' +
        'sim-401-*, sim-402-*, sim-quota-*, sim-429-<s>-*, sim-429-<s>x<n>-*, sim-429-<s>w-*, sim-500-*, ' +
        'sim-flaky<pct>-*, sim-slow<ms>-*, sim-garbage-*, sim-hollow-*; anything else answers OK.',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', nonNegativeInteger('--port'), 6556)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--latency-ms <ms>', 'delay added to every answer', nonNegativeInteger('--latency-ms'), 0)
    .option('--jitter-ms <ms>', 'up to this much more delay, at random', nonNegativeInteger('--jitter-ms'), 0)
    .option('--seed <n>', 'seed for jitter and flaky keys', nonNegativeInteger('--seed'), 1)
    .option('--approx-tokens', 'count tokens as characters / 4 instead of with the tokenizer (less CPU)')
    .action(async (options: SimulateOptions) => {
      const logger = deps.logger ?? createLogger({ name: 'simulate-provider' });
      // Loaded on use: the simulator's imports would slow every other command's start.
      const { startSimulatedProvider } = await import('../../simulator/server.js');
      const simulator = await startSimulatedProvider({
        port: options.port,
        host: options.host,
        latencyMs: options.latencyMs,
        jitterMs: options.jitterMs,
        seed: options.seed,
        tokenCounting: options.approxTokens === true ? 'approx' : 'exact',
        logger,
      });
      console.log(`Simulated provider listening on ${simulator.url}`);
      console.log(`  OpenAI format:    AI_PROVIDER_OPENAI_BASE_URL=${simulator.openaiBaseUrl}`);
      console.log(`  Anthropic format: AI_PROVIDER_ANTHROPIC_BASE_URL=${simulator.anthropicBaseUrl}`);
      console.log('Press Ctrl-C to stop.');

      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await simulator.close();
      // Keys appear masked in the snapshot.
      console.log(JSON.stringify(simulator.stats.snapshot(), null, 2));
    });
}
