/**
 * `npm run bench`: runs every bench and prints its table. Each bench uses a Redis prefix of its own
 * and deletes it afterwards. REDIS_URL is read here only as the bench's own entry point argument.
 * `npm run bench -- --only lease|pipeline|gateway|redis-cost|soak|sync-counters` runs one of them; a
 * Redis URL may follow (redis-cost, soak and sync-counters start redis-servers of their own instead).
 * `--keys 10,100,10000` sets the lease bench's pool sizes (default 10, 1,000 and 10,000 keys).
 */
import { parseArgs } from 'node:util';
import { benchLease, formatLeaseBench } from './lease.js';
import { benchPipeline, formatPipelineBench } from './pipeline.js';
import { benchGateway } from './gateway.js';
import { formatGatewayBench } from './lib/gateway-format.js';
import { parseCounts } from './lib/counts-flag.js';
import { benchRedisCost, formatRedisCost } from './redis-cost.js';
import { soak } from './soak.js';
import { benchSyncCounters, formatSyncCounters } from './sync-counters.js';

const { values, positionals } = parseArgs({
  options: { only: { type: 'string' }, keys: { type: 'string' } },
  allowPositionals: true,
});
const wanted = (name: string) => values.only === undefined || values.only === name;

const keyCounts = values.keys === undefined ? undefined : parseCounts(values.keys, '--keys');

const redisUrl = positionals[0] ?? 'redis://127.0.0.1:6379';
if (wanted('lease')) {
  console.log(`## Lease engine (${redisUrl})\n`);
  console.log(formatLeaseBench(await benchLease({ redisUrl, keyCounts })));
}

// Pipeline: aikeys end to end next to raw BullMQ and direct provider calls (bench/pipeline.ts).
if (wanted('pipeline')) {
  console.log(`\n## Pipeline (${redisUrl})\n`);
  const results = await benchPipeline({ redisUrl, log: (line) => console.error(`[pipeline] ${line}`) });
  console.log(formatPipelineBench(results));
}

// Front door: the openai client through /v1 next to the provider direct and the queue alone (bench/gateway.ts).
if (wanted('gateway')) {
  console.log(`\n## Front door (${redisUrl})\n`);
  const result = await benchGateway({ redisUrl, log: (line) => console.error(`[gateway] ${line}`) });
  console.log(formatGatewayBench(result));
}

// Redis instructions per job, aikeys vs raw BullMQ, on a private redis-server under callgrind.
if (wanted('redis-cost')) {
  console.log('\n## Redis cost per job (private redis-server under callgrind)\n');
  const result = await benchRedisCost({ log: (line) => console.error(`[redis-cost] ${line}`) });
  console.log(formatRedisCost(result));
}

// 50,000 jobs through 4 worker processes with failing keys: throughput, latency, memory (bench/soak.ts).
if (wanted('soak')) {
  console.log('\n## Soak (private redis-server, 4 worker processes)\n');
  console.log(await soak({ jobs: 50_000, workers: 4, log: (line) => console.error(`[soak] ${line}`) }));
}

// syncCounters() at 10,000 keys, none and 1,000 trailing: CPU, wall and Redis time (bench/sync-counters.ts).
if (wanted('sync-counters')) {
  console.log('\n## Counter sync (private redis-server, 10,000 keys)\n');
  console.log(formatSyncCounters(await benchSyncCounters({})));
}
