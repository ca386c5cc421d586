import { describe, expect, it } from 'vitest';
import { parseInclusive } from '../../../bench/lib/callgrind-functions.js';
import {
  formatRedisCost,
  headline,
  parseCommandCalls,
  type VariantCost,
} from '../../../bench/lib/redis-cost-format.js';

describe('parseInclusive', () => {
  it('reads inclusive counts by function from callgrind_annotate output, summing a name listed twice', () => {
    const annotated = [
      'Ir               file:function',
      '--------------------------------------------------------------------------------',
      '47,080 (100.0%)  ???:aeMain [/usr/bin/redis-server]',
      '12,059 (25.61%)  ???:evalShaCommand [/usr/bin/redis-server]',
      ' 1,000 ( 2.12%)  ???:evalShaCommand [/usr/lib/other.so]',
      '   310 ( 0.66%)  ???:0x0000000000064da0 [/usr/lib/x86_64-linux-gnu/libjemalloc.so.2]',
      '47,080 (100.0%)  PROGRAM TOTALS',
    ].join('\n');
    const byFunction = parseInclusive(annotated);
    expect(byFunction.get('aeMain')).toBe(47_080);
    expect(byFunction.get('evalShaCommand')).toBe(13_059);
    expect(byFunction.has('PROGRAM')).toBe(false);
  });
});

describe('parseCommandCalls', () => {
  it('reads calls per command from INFO commandstats', () => {
    const info =
      '# Commandstats\r\ncmdstat_evalsha:calls=25,usec=900,usec_per_call=36.00\r\ncmdstat_xadd:calls=7,usec=1\r\n';
    expect(parseCommandCalls(info)).toEqual(
      new Map([
        ['evalsha', 25],
        ['xadd', 7],
      ]),
    );
  });
});

describe('formatRedisCost', () => {
  const variant = (instructions: number, evalsha: number): VariantCost => ({
    instructions,
    byFunction: new Map([
      ['processCommand', instructions * 0.9],
      ['evalShaCommand', evalsha],
    ]),
    commandCalls: new Map([['evalsha', 200]]),
    clientCommands: new Map([['evalsha aikeys:lease', 25]]),
  });

  it('prints instructions per job and the ratio aikeys / raw', () => {
    const tables = {
      jobs: 100,
      concurrency: 32,
      aikeys: variant(150_000_000, 9e7),
      raw: variant(100_000_000, 6e7),
    };
    expect(headline(tables)).toBe(
      'redis instructions per job: aikeys 1,500,000, raw 1,000,000, ratio A/B 1.50 (serverCron left out; with it 1,500,000 / 1,000,000 = 1.50)',
    );
    const text = formatRedisCost(tables);
    expect(text).toContain('| EVALSHA: every Lua script | 900,000 | 600,000 | 300,000 |');
    expect(text).toContain('| evalsha aikeys:lease | 0.25 | 0.25 |');
  });
});
