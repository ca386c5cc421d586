/**
 * Parsers for the admin server's own settings (AIKEYS_ADMIN_TOKEN's minimum length,
 * AIKEYS_BOARD_WRITE, AIKEYS_TRUST_PROXY), kept apart from the schema that uses them. Like every
 * setting parser, messages say what is expected and never echo the value.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** `true` or `false` (any case), or the default when unset. */
export function flag(fallback: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): boolean => {
      if (raw === undefined) return fallback;
      const value = raw.trim().toLowerCase();
      if (value === 'true') return true;
      if (value === 'false') return false;
      ctx.issues.push({ code: 'custom', message: 'must be true or false', input: raw });
      return z.NEVER;
    });
}

/**
 * The admin token is the only credential of the admin server, and the session cookie's signing
 * secret is derived from it: a short one could be guessed. `aikeys gen-key` prints 44 characters.
 */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Unset or empty: no token (the server then binds loopback only). */
export const adminToken = z
  .string()
  .optional()
  .transform((raw, ctx): string | undefined => {
    const token = raw?.trim();
    if (token === undefined || token === '') return undefined;
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      ctx.issues.push({
        code: 'custom',
        message:
          `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters; ` +
          'make one with `aikeys gen-key` (it prints a suitable random value)',
        input: raw,
      });
      return z.NEVER;
    }
    return token;
  });

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Addresses whose X-Forwarded-* headers the admin server believes: names, IPs or CIDR ranges. */
export const proxyList = z
  .string()
  .optional()
  .transform((raw, ctx): readonly string[] => {
    if (raw === undefined) return ['loopback'];
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const valid = (item: string) => {
      if (PROXY_RANGE_NAMES.includes(item)) return true;
      const [address = '', bits, ...rest] = item.split('/');
      const family = isIP(address);
      if (family === 0 || rest.length > 0) return false;
      if (bits === undefined) return true;
      return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
    };
    if (items.length === 0 || !items.every(valid)) {
      ctx.issues.push({
        code: 'custom',
        message: `must be a comma-separated list of ${PROXY_RANGE_NAMES.join(', ')}, IP addresses or CIDR ranges (e.g. loopback,172.16.0.0/12)`,
        input: raw,
      });
      return z.NEVER;
    }
    return items;
  });
