import type { Knex } from 'knex';

/**
 * Operator edits in Postgres reach the running pool: triggers on `ai_api_keys` and `ai_accounts`
 * send `pg_notify('aikeys_pool_edits', …)` when a column the lease engine uses changes, and every
 * worker replica LISTENs and rebuilds those accounts and their keys in Redis (src/runtime/pool-edits.ts).
 *
 * The pool's own writes (status changes and counters it takes from Redis, the daily reset, ended
 * blocks) run with `SET LOCAL aikeys.origin = 'pool'` (src/store/pool-origin.ts): Redis already has
 * them, so the triggers skip them; otherwise every release would echo back and a late echo could
 * overwrite newer counters in Redis.
 *
 * The BEFORE trigger makes an operator's one-column edit mean what the pool would do: a future
 * `temporary_block_until` blocks the key, `status = 'active'` on a disabled key clears its reason
 * and failure count (as `aikeys enable` does), on a blocked key ends the block; lowering
 * `used_today` or raising `daily_limit` of an exhausted key below its limit makes it active.
 *
 * The payload carries the values an edit sets for the counters Redis is ahead on (used_today,
 * consecutive_failures): a counter flush in between cannot undo the edit, and the transaction id
 * lets only the first replica that sees a notification apply them.
 */
const KEY_COLUMNS = [
  'status',
  'temporary_block_until',
  'daily_limit',
  'used_today',
  'max_concurrency',
  'consecutive_failures',
  'account_id',
  'model_name',
  'disabled_kind',
];
const ACCOUNT_COLUMNS = ['status', 'priority', 'daily_quota', 'monthly_budget', 'provider_name'];

const changed = (columns: readonly string[]): string =>
  `(${columns.map((c) => `NEW.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `OLD.${c}`).join(', ')})`;

const FROM_POOL = `current_setting('aikeys.origin', true) IS NOT DISTINCT FROM 'pool'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION aikeys_key_edit_normalize() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${FROM_POOL} OR NOT (${changed(KEY_COLUMNS)}) THEN RETURN NEW; END IF;
      IF OLD.status = 'disabled' AND NEW.status <> 'disabled' THEN
        NEW.disabled_kind := NULL;
        NEW.disabled_reason := NULL;
        NEW.consecutive_failures := 0;
      END IF;
      IF NEW.status = 'disabled' AND OLD.status <> 'disabled' AND NEW.disabled_kind IS NULL THEN
        NEW.disabled_kind := 'manual';
        NEW.disabled_reason := COALESCE(NEW.disabled_reason, 'disabled by an UPDATE in Postgres');
      END IF;
      IF NEW.status = 'exhausted' AND NEW.used_today < NEW.daily_limit
         AND (NEW.used_today < OLD.used_today OR NEW.daily_limit > OLD.daily_limit) THEN
        NEW.status := 'active';
      END IF;
      IF NEW.temporary_block_until IS DISTINCT FROM OLD.temporary_block_until
         AND NEW.temporary_block_until > now() AND NEW.status IN ('active', 'exhausted') THEN
        NEW.status := 'temporarily_blocked';
      ELSIF OLD.status = 'temporarily_blocked' AND NEW.status = 'active' THEN
        NEW.temporary_block_until := NULL;
      END IF;
      NEW.updated_at := now();
      RETURN NEW;
    END $$;

    CREATE FUNCTION aikeys_key_edit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      accounts int[] := ARRAY[NEW.account_id];
      used bigint := NULL;
      failures int := NULL;
    BEGIN
      IF ${FROM_POOL} THEN RETURN NULL; END IF;
      IF TG_OP = 'UPDATE' THEN
        IF NOT (${changed(KEY_COLUMNS)}) THEN RETURN NULL; END IF;
        IF NEW.account_id <> OLD.account_id THEN accounts := accounts || OLD.account_id; END IF;
        IF NEW.used_today < OLD.used_today THEN used := NEW.used_today; END IF;
        IF NEW.consecutive_failures IS DISTINCT FROM OLD.consecutive_failures THEN
          failures := NEW.consecutive_failures;
        END IF;
      END IF;
      PERFORM pg_notify('aikeys_pool_edits', json_build_object(
        'k', NEW.key_id, 'a', accounts, 'u', used, 'f', failures, 'x', txid_current()::text)::text);
      RETURN NULL;
    END $$;

    CREATE FUNCTION aikeys_account_edit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${FROM_POOL} THEN RETURN NULL; END IF;
      IF TG_OP = 'UPDATE' THEN
        IF NOT (${changed(ACCOUNT_COLUMNS)}) THEN RETURN NULL; END IF;
      END IF;
      PERFORM pg_notify('aikeys_pool_edits', json_build_object(
        'k', NULL, 'a', ARRAY[NEW.account_id], 'u', NULL, 'f', NULL, 'x', txid_current()::text)::text);
      RETURN NULL;
    END $$;

    CREATE TRIGGER ai_api_keys_edit_normalize BEFORE UPDATE ON ai_api_keys
      FOR EACH ROW EXECUTE FUNCTION aikeys_key_edit_normalize();
    CREATE TRIGGER ai_api_keys_edit_notify AFTER INSERT OR UPDATE ON ai_api_keys
      FOR EACH ROW EXECUTE FUNCTION aikeys_key_edit_notify();
    CREATE TRIGGER ai_accounts_edit_notify AFTER INSERT OR UPDATE ON ai_accounts
      FOR EACH ROW EXECUTE FUNCTION aikeys_account_edit_notify();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER ai_accounts_edit_notify ON ai_accounts;
    DROP TRIGGER ai_api_keys_edit_notify ON ai_api_keys;
    DROP TRIGGER ai_api_keys_edit_normalize ON ai_api_keys;
    DROP FUNCTION aikeys_account_edit_notify();
    DROP FUNCTION aikeys_key_edit_notify();
    DROP FUNCTION aikeys_key_edit_normalize();
  `);
}
