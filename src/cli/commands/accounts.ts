/**
 * `aikeys accounts [<id>]`: the accounts with their keys, quota use today and spend this month; with
 * an id, one account and its keys. The queries behind `GET /api/accounts` and `/api/accounts/:id`,
 * and with --json the same answers.
 */
import { accountDetailJson, accountJson } from '../../http/views/account.js';
import { findAccountDetail, monthlySpend } from '../../store/account-detail.js';
import { listAccounts, type AccountView } from '../../store/accounts.js';
import { AikeysError } from '../../core/errors.js';
import { configFor, withDatabase, writeJson, type CommandRegistrar } from '../context.js';
import { plainTable } from '../render/table.js';
import { accountIdArgument } from '../arguments.js';
import { formatCost } from '../render/money.js';

const quota = (used: number, limit: number | null) =>
  limit === null ? `${used} (no quota)` : `${used}/${limit}`;
const budget = (spent: number, limit: number | null) =>
  limit === null ? `${formatCost(spent)} (no budget)` : `${formatCost(spent)}/${formatCost(limit)}`;

export function renderAccounts(accounts: readonly (AccountView & { spent: number })[]): string {
  if (accounts.length === 0) return 'No accounts in the database: run `aikeys import`.\n';
  const table = plainTable([
    'ID',
    'Account',
    'Provider',
    'Priority',
    'Status',
    'Keys',
    'Tokens today',
    'Spent this month',
  ]);
  for (const a of accounts) {
    table.push([
      String(a.accountId),
      a.name,
      a.provider,
      String(a.priority),
      a.status,
      `${a.activeKeys} active / ${a.totalKeys}`,
      quota(a.usedToday, a.dailyQuota),
      budget(a.spent, a.monthlyBudget),
    ]);
  }
  return `${table.toString()}\n`;
}

export function renderAccountDetail(detail: ReturnType<typeof accountDetailJson>): string {
  const { account, keys } = detail;
  const { stats } = account;
  const lines = [
    `${account.name} (id ${account.account_id}, ${account.provider}, priority ${account.priority}, ${account.status})`,
    `keys              ${stats.active_keys} active / ${stats.keys}`,
    `tokens today      ${quota(stats.used_today, stats.daily_quota)}`,
    `spent this month  ${budget(stats.monthly_spend, stats.monthly_budget)}`,
  ];
  const table = plainTable(['Key', 'Model', 'Status', 'Used today', 'Failures', 'Last used', 'Disabled']);
  for (const k of keys) {
    table.push([
      k.name,
      k.model,
      k.status,
      `${k.used_today}/${k.daily_limit}`,
      String(k.consecutive_failures),
      k.last_used_at?.replace(/\.\d{3}Z$/, 'Z') ?? '',
      k.disabled_reason ?? '',
    ]);
  }
  return `${lines.join('\n')}\n${keys.length === 0 ? 'No keys.\n' : `${table.toString()}\n`}`;
}

export const registerAccounts: CommandRegistrar = (program, ctx) => {
  program
    .command('accounts')
    .description(
      "list accounts with their keys, today's tokens and this month's spend; with an id, one account and its keys",
    )
    .argument('[id]', 'account id (first column of the list)', accountIdArgument)
    .option('--json', 'print JSON (the shape of GET /api/accounts, or /api/accounts/:id)')
    .action(async (id: number | undefined, options: { json?: boolean }, command: typeof program) => {
      const config = configFor(ctx, command);
      const timeZone = config.system.timeZone;
      await withDatabase(config.services.databaseUrl, async (db) => {
        if (id === undefined) {
          const now = new Date();
          const accounts = await listAccounts(db);
          if (options.json === true) return writeJson(ctx, { accounts: accounts.map(accountJson) });
          const withSpend = [];
          for (const a of accounts)
            withSpend.push({ ...a, spent: await monthlySpend(db, a.accountId, timeZone, now) });
          return ctx.out(renderAccounts(withSpend));
        }
        const detail = await findAccountDetail(db, id, { timeZone });
        if (detail === undefined) {
          throw new AikeysError(
            'ACCOUNT_NOT_FOUND',
            `no account with id ${id}: \`aikeys accounts\` lists them`,
          );
        }
        const json = accountDetailJson(detail);
        if (options.json === true) writeJson(ctx, json);
        else ctx.out(renderAccountDetail(json));
      });
    });
};
