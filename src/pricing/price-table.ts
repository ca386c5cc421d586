/**
 * What a call cost: prompt and completion tokens times the model's USD-per-million prices.
 * Prices come from the shipped catalog (catalog.ts), overridden per model by an optional JSON
 * file (`AI_PRICES_FILE`): `{ "<model>": { "input": 10, "output": 30 } }`. An unknown model
 * costs 0 and is reported once, so a missing price never fails a job but is never silent.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AikeysError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { buildCatalog, type ModelPrice } from './catalog.js';
import { modelNameCandidates, normaliseModelName } from './model-name.js';

export type { ModelPrice } from './catalog.js';

export interface UsageForCost {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface PriceTable {
  /** USD for one call; 0 for a model without a price (warned about once per model). */
  costOf(model: string, usage: UsageForCost): number;
  /** The price a model is charged at, after prefix and snapshot matching; undefined if none. */
  priceOf(model: string): ModelPrice | undefined;
}

/**
 * Unknown model names come from job data, which anyone who can enqueue controls: remember at most
 * this many for the warn-once rule, so a stream of invented names cannot grow memory without end.
 */
const MAX_REMEMBERED_UNKNOWN = 1000;
/** Models whose price (or lack of one) is remembered; past this, looked up each time. */
const MAX_REMEMBERED_MODELS = 1000;

const priceSchema = z.strictObject({
  input: z.number().finite().nonnegative(),
  output: z.number().finite().nonnegative(),
});
const overridesSchema = z.record(z.string().min(1), priceSchema);

export class PricesFileError extends AikeysError {}

/** Reads and validates an overrides file; every problem is listed, naming the file and model. */
export function readPriceOverrides(file: string): Map<string, ModelPrice> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PricesFileError('PRICES_FILE_UNREADABLE', `Cannot read prices file ${file}: ${reason}`, {
      context: { file },
      cause: error,
    });
  }
  const result = overridesSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new PricesFileError(
      'PRICES_FILE_INVALID',
      `Invalid prices file ${file} (expected { "<model>": { "input": <USD per 1M>, "output": <USD per 1M> } }):\n  - ${problems.join('\n  - ')}`,
      { context: { file, problems } },
    );
  }
  const overrides = new Map<string, ModelPrice>();
  for (const [model, price] of Object.entries(result.data)) {
    overrides.set(normaliseModelName(model), Object.freeze({ input: price.input, output: price.output }));
  }
  return overrides;
}

export function createPriceTable(options: {
  overridesFile?: string | undefined;
  logger: Logger;
}): PriceTable {
  const { logger } = options;
  const prices = buildCatalog();
  if (options.overridesFile !== undefined) {
    const overrides = readPriceOverrides(options.overridesFile);
    for (const [model, price] of overrides) prices.set(model, price);
    logger.info({ file: options.overridesFile, models: overrides.size }, 'model prices overridden');
  }
  const warned = new Set<string>();
  // Model names come from the configuration (a key's model), so there are few of them: each one's
  // answer is remembered rather than worked out from its name variants on every call.
  const resolved = new Map<string, ModelPrice | null>();

  function priceOf(model: string): ModelPrice | undefined {
    const known = resolved.get(model);
    if (known !== undefined) return known ?? undefined;
    let found: ModelPrice | null = null;
    for (const candidate of modelNameCandidates(model)) {
      const price = prices.get(candidate);
      if (price !== undefined) {
        found = price;
        break;
      }
    }
    if (resolved.size < MAX_REMEMBERED_MODELS) resolved.set(model, found);
    return found ?? undefined;
  }

  function costOf(model: string, usage: UsageForCost): number {
    const price = priceOf(model);
    if (price === undefined) {
      if (!warned.has(model) && warned.size < MAX_REMEMBERED_UNKNOWN) {
        warned.add(model);
        logger.warn(
          { model },
          'no price known for this model: its calls are costed at 0 (set one in AI_PRICES_FILE)',
        );
      }
      return 0;
    }
    const usd = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
    // Rounded to 1e-10 USD so sums read cleanly (0.0003, not 0.00030000000000000003).
    return Math.round(usd * 1e10) / 1e10;
  }

  return { costOf, priceOf };
}
