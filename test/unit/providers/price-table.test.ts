import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createPriceTable, PricesFileError } from '../../../src/pricing/price-table.js';
import { modelNameCandidates } from '../../../src/pricing/model-name.js';

/** A pino logger that keeps its records, to count warnings. */
function recordingLogger() {
  const records: { level: number; msg: string; model?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, warnings: () => records.filter((r) => r.level === 40) };
}

function overridesFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aikeys-prices-'));
  const file = join(dir, 'prices.json');
  writeFileSync(file, content);
  return file;
}

const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000 };

describe('price table', () => {
  const table = createPriceTable({ logger: silentLogger });

  it.each([
    'gpt-4-turbo',
    'gpt-3.5-turbo',
    'gpt-4o',
    'gpt-4o-mini',
    'claude-3-5-sonnet-20241022',
    'claude-3-5-sonnet',
    'claude-3-haiku',
    'claude-sonnet-4',
    'gemini-1.5-pro',
    'gemini-2.0-flash',
  ])('prices %s', (model) => {
    const price = table.priceOf(model);
    expect(price).toBeDefined();
    expect(price!.input).toBeGreaterThan(0);
    expect(price!.output).toBeGreaterThanOrEqual(price!.input);
  });

  it('costs tokens at input and output prices per million', () => {
    const price = table.priceOf('gpt-4o')!;
    expect(table.costOf('gpt-4o', { promptTokens: 1000, completionTokens: 500 })).toBeCloseTo(
      (1000 * price.input + 500 * price.output) / 1e6,
      10,
    );
    expect(table.costOf('gpt-4o', { promptTokens: 0, completionTokens: 0 })).toBe(0);
  });

  it('matches a provider-prefixed name', () => {
    expect(table.priceOf('openai/gpt-4o')).toEqual(table.priceOf('gpt-4o'));
    expect(table.priceOf('models/gemini-1.5-pro')).toEqual(table.priceOf('gemini-1.5-pro'));
  });

  it('matches dated and versioned snapshots', () => {
    expect(table.priceOf('gpt-4o-2024-08-06')).toEqual(table.priceOf('gpt-4o'));
    expect(table.priceOf('gpt-3.5-turbo-0125')).toEqual(table.priceOf('gpt-3.5-turbo'));
    expect(table.priceOf('openai/gpt-4-turbo-2024-04-09')).toEqual(table.priceOf('gpt-4-turbo'));
    expect(table.priceOf('claude-3-5-sonnet-latest')).toEqual(table.priceOf('claude-3-5-sonnet-20241022'));
  });

  it('keeps different models apart: gpt-4o-mini is not gpt-4o', () => {
    expect(table.priceOf('gpt-4o-mini')!.input).toBeLessThan(table.priceOf('gpt-4o')!.input);
  });

  it('costs an unknown model 0 and warns once per model', () => {
    const { logger, warnings } = recordingLogger();
    const own = createPriceTable({ logger });
    expect(own.costOf('no-such-model', usage)).toBe(0);
    expect(own.costOf('no-such-model', usage)).toBe(0);
    expect(own.costOf('another-unknown', usage)).toBe(0);
    expect(warnings().map((w) => w.model)).toEqual(['no-such-model', 'another-unknown']);
  });

  it('takes overrides from a file, over the catalog and for new models', () => {
    const file = overridesFile(
      JSON.stringify({ 'gpt-4o': { input: 10, output: 30 }, 'My-Local-Model': { input: 0.5, output: 1 } }),
    );
    const own = createPriceTable({ overridesFile: file, logger: silentLogger });
    expect(own.costOf('gpt-4o', { promptTokens: 1_000_000, completionTokens: 2_000_000 })).toBe(70);
    expect(own.costOf('gpt-4o-2024-08-06', { promptTokens: 1_000_000, completionTokens: 0 })).toBe(10);
    expect(own.priceOf('my-local-model')).toEqual({ input: 0.5, output: 1 });
    expect(own.priceOf('gpt-4o-mini')).toEqual(table.priceOf('gpt-4o-mini'));
  });

  it('rejects a malformed overrides file naming the file and the model', () => {
    const file = overridesFile(JSON.stringify({ 'gpt-4o': { input: -1, output: 'x' } }));
    expect(() => createPriceTable({ overridesFile: file, logger: silentLogger })).toThrow(PricesFileError);
    expect(() => createPriceTable({ overridesFile: file, logger: silentLogger })).toThrow(
      /prices\.json[\s\S]*gpt-4o/,
    );
    const notJson = overridesFile('{ nope');
    expect(() => createPriceTable({ overridesFile: notJson, logger: silentLogger })).toThrow(
      /Cannot read prices file/,
    );
  });
});

describe('modelNameCandidates', () => {
  it('tries exact, unprefixed, then undated', () => {
    expect(modelNameCandidates('OpenAI/GPT-4o-2024-08-06')).toEqual([
      'openai/gpt-4o-2024-08-06',
      'gpt-4o-2024-08-06',
      'gpt-4o',
    ]);
    expect(modelNameCandidates('gpt-4o')).toEqual(['gpt-4o']);
  });
});
