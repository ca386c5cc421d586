/**
 * Account names for metric labels, by id: the lease hands out the account id, operators read names
 * (the admin server's gauges use them too). Names are loaded once and again when an unknown id
 * shows up (an account imported after this process started); until then the id stands in.
 */
import type { Logger } from '../core/logger.js';
import { listAccounts } from '../store/accounts.js';
import type { Db } from '../store/database.js';

/** An unknown id is looked up again at most this often, so a stream of calls costs one query. */
const RELOAD_AFTER_MS = 30_000;

export class AccountNames {
  readonly #names = new Map<number, string>();
  #loadedAt = 0;
  #loading: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Loads the names (awaited at start so the first calls already carry them). */
  async load(): Promise<void> {
    this.#loadedAt = Date.now();
    try {
      for (const account of await listAccounts(this.db)) this.#names.set(account.accountId, account.name);
    } catch (error) {
      this.logger.warn(
        { err: error },
        'could not load account names for metric labels; ids are used until the next try',
      );
    }
  }

  nameOf(accountId: number): string {
    const name = this.#names.get(accountId);
    if (name !== undefined) return name;
    if (!this.#loading && Date.now() - this.#loadedAt >= RELOAD_AFTER_MS) {
      this.#loading = this.load().finally(() => (this.#loading = null));
    }
    return `account-${accountId}`;
  }
}
