/**
 * Which application is calling: its token from `Authorization: Bearer <token>` (OpenAI clients) or
 * `x-api-key: <token>` (Anthropic clients), matched against AIKEYS_GATEWAY_TOKENS. Tokens are
 * compared as SHA-256 digests with timingSafeEqual (equal lengths, so neither content nor length
 * leaks through timing), and every client is compared, so the time does not tell which one matched.
 *
 * A keep-alive connection sends the same token with each request: the token a connection was last
 * accepted with is kept with it, and a later request's token is compared with that one in time
 * that depends on the presented token's length only (a proxy that carries several applications'
 * requests on one connection learns nothing from it), which spares the digest per request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayClient } from '../config/gateway-clients.js';
import { ConfigError } from '../core/errors.js';

/** Shorter tokens can be guessed offline from a leaked digest or online over many requests. */
export const MIN_TOKEN_LENGTH = 32;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export interface ClientAuth {
  /**
   * The client's name, or undefined for a wrong token. `connection`: the request's socket, with
   * which an accepted token is kept.
   */
  identify(presented: string, connection?: object): string | undefined;
}

/** Whether two strings are equal, compared in time that depends on `presented`'s length only. */
function sameToken(presented: string, accepted: string): boolean {
  let diff = presented.length ^ accepted.length;
  for (let i = 0; i < presented.length; i++) {
    diff |= presented.charCodeAt(i) ^ accepted.charCodeAt(i % accepted.length);
  }
  return diff === 0;
}

export function createClientAuth(clients: readonly GatewayClient[]): ClientAuth {
  const known = clients.map((c) => ({ name: c.name, digest: digest(c.token.reveal()) }));
  const accepted = new WeakMap<object, { readonly token: string; readonly name: string }>();

  function byDigest(presented: string): string | undefined {
    const candidate = digest(presented);
    let match: string | undefined;
    for (const client of known) {
      if (timingSafeEqual(client.digest, candidate) && match === undefined) match = client.name;
    }
    return match;
  }

  return {
    identify(presented, connection) {
      if (connection === undefined) return byDigest(presented);
      const kept = accepted.get(connection);
      if (kept !== undefined && sameToken(presented, kept.token)) return kept.name;
      const name = byDigest(presented);
      if (name !== undefined) accepted.set(connection, { token: presented, name });
      return name;
    },
  };
}

/** The token a request presents, from either header; undefined when it sends none. */
export function presentedToken(headers: Readonly<Record<string, unknown>>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (match?.[1] !== undefined) return match[1];
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return undefined;
}

/**
 * Refuses to serve with no clients, or with short tokens on an address other machines can reach
 * (a loopback-only gateway is a developer's, where a short token is a convenience, not an exposure).
 */
export function checkGatewayClients(
  clients: readonly GatewayClient[] | undefined,
  host: string,
  /** The env file the settings came from, named in the error. */
  file: string,
): readonly GatewayClient[] {
  if (clients === undefined || clients.length === 0) {
    throw new ConfigError([
      {
        file,
        name: 'AIKEYS_GATEWAY_TOKENS',
        message: 'is not set: the front door has no client that could call it',
        hint: 'Set it to name:token,name2:token2',
      },
    ]);
  }
  if (LOOPBACK.has(host)) return clients;
  const short = clients.filter((c) => c.token.length < MIN_TOKEN_LENGTH).map((c) => c.name);
  if (short.length > 0) {
    throw new ConfigError([
      {
        file,
        name: 'AIKEYS_GATEWAY_TOKENS',
        message: `token of ${short.join(', ')} is shorter than ${MIN_TOKEN_LENGTH} characters, refused with HOST=${host} (not loopback)`,
        hint: 'Generate one with: openssl rand -hex 32',
      },
    ]);
  }
  return clients;
}
