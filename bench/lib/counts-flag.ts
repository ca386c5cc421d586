/** A bench flag listing counts (`--keys 10,100,10000`, `--callers 16,64`): positive whole numbers. */
export function parseCounts(list: string, flag: string): number[] {
  const counts = list.split(',').map((part) => (part.trim() === '' ? NaN : Number(part.trim())));
  if (counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(
      `${flag} takes positive whole numbers, comma-separated (such as 10,100,10000); got "${list}"`,
    );
  return counts;
}
