/** Parsers of command-line values that name things in Postgres, refused before any query. */
import { InvalidArgumentError } from 'commander';

/** Postgres `integer`: a larger id cannot exist, and would fail the query rather than find nothing. */
const MAX_ID = 2_147_483_647;

export function accountIdArgument(value: string): number {
  const id = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(id <= MAX_ID)) throw new InvalidArgumentError('expected an account id (a positive whole number)');
  return id;
}

export function keyNameArgument(value: string): string {
  if (!/^key_[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError('expected a key name, key_N');
  return value;
}
