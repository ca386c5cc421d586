/**
 * One account as an operator inspects it (`GET /api/accounts/:id`, `aikeys accounts <id>`): its
 * quota use today, its spend this month against its budget, and its keys. The month's spend is the
 * very sum the lease engine checks AI_ACCOUNT_MONTHLY_BUDGET against (SPENT_THIS_MONTH), so the two
 * can never disagree.
 */
import type { Db } from './database.js';
import { findAccountById, type AccountView } from './accounts.js';
import { listKeys, type KeyView } from './keys.js';
import { SPENT_THIS_MONTH } from './lease-snapshot.js';

export interface AccountDetail {
  readonly account: AccountView;
  /** USD this calendar month in AI_TIMEZONE. */
  readonly monthlySpend: number;
  /** The account's keys in the config (removed ones are history and left out), by number. */
  readonly keys: readonly KeyView[];
}

export async function monthlySpend(db: Db, accountId: number, timeZone: string, now: Date): Promise<number> {
  const { rows } = await db.raw<{ rows: { spent: number | null }[] }>(
    `SELECT ${SPENT_THIS_MONTH} AS spent FROM ai_accounts a WHERE a.account_id = :accountId`,
    { accountId, tz: timeZone, now: now.toISOString() },
  );
  return Number(rows[0]?.spent ?? 0);
}

export async function findAccountDetail(
  db: Db,
  accountId: number,
  options: { timeZone: string; now?: Date },
): Promise<AccountDetail | undefined> {
  const account = await findAccountById(db, accountId);
  if (account === undefined) return undefined;
  const [spend, keys] = await Promise.all([
    monthlySpend(db, accountId, options.timeZone, options.now ?? new Date()),
    listKeys(db, { accountId }),
  ]);
  return { account, monthlySpend: spend, keys };
}
