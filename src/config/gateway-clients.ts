/**
 * AIKEYS_GATEWAY_TOKENS: the applications allowed through the front door, `name:token,name2:token2`.
 * The name travels with each request into the usage log, so it obeys the same rule as the job
 * schema's `client` field; tokens are held as Secrets so no log line or settings view can show one.
 */
import { z } from 'zod';
import { Secret } from '../core/secret.js';
import type { SettingType } from './setting-types.js';

/** What a client name may be: short, lower-case, safe in logs, metrics labels and SQL filters. */
export const CLIENT_NAME_PATTERN = /^[a-z0-9_.-]{1,64}$/;

export interface GatewayClient {
  readonly name: string;
  readonly token: Secret;
}

/** Messages name the entry by position and name, never the token. */
function parseEntries(raw: string, issue: (message: string) => void): GatewayClient[] {
  const clients: GatewayClient[] = [];
  const names = new Set<string>();
  const tokens = new Set<string>();
  raw.split(',').forEach((part, index) => {
    const entry = part.trim();
    const where = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      issue(`${where} must be written name:token (names and tokens separated by commas)`);
      return;
    }
    const name = entry.slice(0, colon).trim();
    const token = entry.slice(colon + 1).trim();
    if (!CLIENT_NAME_PATTERN.test(name)) {
      issue(`${where}: the client name must be 1-64 of a-z 0-9 _ . -`);
      return;
    }
    if (token === '' || /\s/.test(token)) {
      issue(`${where} (${name}): the token must be non-empty and hold no spaces`);
      return;
    }
    if (names.has(name)) issue(`${where}: client name ${name} is listed twice`);
    if (tokens.has(token)) issue(`${where} (${name}): its token is also another client's; give each its own`);
    names.add(name);
    tokens.add(token);
    clients.push({ name, token: new Secret(token) });
  });
  return clients;
}

/** Unset: no client can authenticate, so the front door is not served. */
export function gatewayClients(): SettingType<readonly GatewayClient[] | undefined> {
  const schema = z
    .string()
    .optional()
    .transform((raw, ctx): readonly GatewayClient[] | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      let failed = false;
      const clients = parseEntries(raw, (message) => {
        failed = true;
        ctx.issues.push({ code: 'custom', message, input: '(not shown)' });
      });
      return failed ? z.NEVER : clients;
    });
  return { schema, defaultText: undefined };
}
