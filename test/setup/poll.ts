/**
 * Reads `read()` every 25 ms until `ok` accepts it, and returns that value; after `ms` it fails with
 * `what` and the last value read. For state another process or a notification changes, where there
 * is no event to wait on.
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
