/**
 * `aikeys usage`: requests, tokens, cost and errors per day (or hour), optionally per key, model,
 * account or client: the query behind `GET /api/usage` (src/store/usage-series.ts says where each
 * number comes from), and with --json the same answer.
 */
import { Option } from 'commander';
import { usageJson } from '../../http/views/usage.js';
import { USAGE_GROUPS, usageSeries, type UsageGroup, type UsagePoint } from '../../store/usage-series.js';
import { resolveUsageWindow, USAGE_BUCKETS, type UsageBucket } from '../../store/usage-window.js';
import { accountIdArgument, keyNameArgument } from '../arguments.js';
import { configFor, withDatabase, writeJson, type CommandRegistrar } from '../context.js';
import { formatCost } from '../render/money.js';
import { plainTable } from '../render/table.js';

interface UsageOptions {
  bucket: UsageBucket;
  from?: string;
  to?: string;
  by?: Exclude<UsageGroup, 'none'>;
  key?: string;
  model?: string;
  account?: number;
  client?: string;
  json?: boolean;
}

export function renderUsage(json: ReturnType<typeof usageJson>, grouped: boolean): string {
  const head = [
    json.bucket === 'day' ? 'Day' : 'Hour',
    ...(grouped ? ['Group'] : []),
    'Requests',
    'Tokens',
    'Cost',
    'Errors',
  ];
  const table = plainTable(head);
  const row = (
    first: string,
    p: Pick<UsagePoint, 'requests' | 'tokens' | 'cost' | 'errors'>,
    group?: string,
  ) => [
    first,
    ...(grouped ? [group ?? ''] : []),
    String(p.requests),
    String(p.tokens),
    formatCost(p.cost),
    String(p.errors),
  ];
  for (const p of json.series) table.push(row(p.time, p, p.group ?? '(none)'));
  table.push(row('Total', json.totals));
  const title = `Usage ${json.from} to ${json.to} (${json.time_zone})`;
  return `${title}\n${table.toString()}\n`;
}

export const registerUsage: CommandRegistrar = (program, ctx) => {
  program
    .command('usage')
    .description(
      'requests, tokens, cost and errors per day (calendar days in AI_TIMEZONE) or hour, optionally per ' +
        'key, model, account or client (e.g. --client app --model gpt-4o --from 2026-11-01 --to 2026-11-30)',
    )
    .addOption(new Option('--bucket <bucket>', 'day or hour').choices(USAGE_BUCKETS).default('day'))
    .option(
      '--from <when>',
      'first day or hour: YYYY-MM-DD or an ISO instant (default: 30 days or 24 hours back)',
    )
    .option('--to <when>', 'last day or hour, included (default: now)')
    .addOption(new Option('--by <group>', 'split by').choices(USAGE_GROUPS.filter((g) => g !== 'none')))
    .option('--key <key_N>', 'only this key', keyNameArgument)
    .option('--model <model>', 'only this model')
    .option('--account <id>', 'only this account (id, see `aikeys accounts`)', accountIdArgument)
    .option('--client <name>', 'only this front-door client')
    .option('--json', 'print JSON (the shape of GET /api/usage)')
    .action(async (options: UsageOptions, command: typeof program) => {
      const config = configFor(ctx, command);
      const timeZone = config.system.timeZone;
      const window = resolveUsageWindow(
        { bucket: options.bucket, from: options.from, to: options.to },
        Date.now(),
        timeZone,
        { from: '--from', to: '--to' },
      );
      const groupBy = options.by ?? 'none';
      const result = await withDatabase(config.services.databaseUrl, (db) =>
        usageSeries(db, {
          window,
          groupBy,
          filter: {
            key: options.key,
            model: options.model,
            accountId: options.account,
            client: options.client,
          },
          timeZone,
        }),
      );
      const json = usageJson(window, timeZone, result);
      if (options.json === true) writeJson(ctx, json);
      else ctx.out(renderUsage(json, groupBy !== 'none'));
    });
};
