/**
 * What an import did (or, for a dry run, would do). Entries name keys by `key_N` and a masked
 * secret (at most the first 6 and last 4 characters); no field ever holds a secret.
 */
import type { LegacyNotice } from '../../config/types.js';

export type FieldValue = string | number | null;

export interface FieldChange {
  /** Which setting changed: `name`, `model`, `provider`, `account`, `dailyLimit`, `maxConcurrency`, `status`... */
  readonly field: string;
  readonly from: FieldValue;
  readonly to: FieldValue;
}

export interface ImportedKey {
  readonly name: string;
  /** `Secret.masked` of the key; `(unreadable)` for a removed key sealed by a master key not configured. */
  readonly masked: string;
  readonly provider: string;
  readonly model: string;
  /** Account ref, `<provider>:<priority>`. */
  readonly account: string;
}

export interface ChangedKey extends ImportedKey {
  readonly changes: readonly FieldChange[];
}

export interface DisabledKey extends ImportedKey {
  readonly reason: string;
}

export interface ImportedAccount {
  /** `<provider>:<priority>`. */
  readonly ref: string;
  readonly name: string;
}

export interface ChangedAccount extends ImportedAccount {
  readonly changes: readonly FieldChange[];
}

export interface ImportReport {
  readonly dryRun: boolean;
  /** The env file the config came from. */
  readonly file: string;
  readonly accounts: {
    readonly added: readonly ImportedAccount[];
    readonly changed: readonly ChangedAccount[];
    readonly unchanged: readonly ImportedAccount[];
  };
  readonly added: readonly ImportedKey[];
  /** Includes keys re-activated because they came back to the config (a `status` change). */
  readonly changed: readonly ChangedKey[];
  /** Keys in the database but no longer in the config, disabled by this import. */
  readonly disabled: readonly DisabledKey[];
  readonly unchanged: readonly ImportedKey[];
  /** Keys removed by an earlier import and still absent: left alone. */
  readonly alreadyRemoved: number;
  /** How each legacy name in the env file maps to the new form. */
  readonly legacy: readonly LegacyNotice[];
}

/** True when the import wrote (or would write) nothing. */
export function isNoop(report: ImportReport): boolean {
  return (
    report.added.length === 0 &&
    report.changed.length === 0 &&
    report.disabled.length === 0 &&
    report.accounts.added.length === 0 &&
    report.accounts.changed.length === 0
  );
}
