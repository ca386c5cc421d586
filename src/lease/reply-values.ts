/** Conversions for values the lease scripts return or store (numbers may arrive as strings). */
export const num = (v: unknown): number => Number(v ?? 0);
/** Times and counters where 0 means "none". */
export const positiveOrNull = (v: unknown): number | null => (num(v) > 0 ? num(v) : null);
export const textOrNull = (v: unknown): string | null =>
  v === null || v === undefined || v === '' ? null : String(v);
