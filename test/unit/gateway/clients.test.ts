import { describe, expect, it } from 'vitest';
import { serviceSettingsFromEnv } from '../../../src/config/service-settings.js';
import { ConfigError } from '../../../src/core/errors.js';
import { checkGatewayClients, createClientAuth, presentedToken } from '../../../src/gateway/client-auth.js';

const LONG_A = 'a'.repeat(40);
const LONG_B = 'b'.repeat(32);

function clientsOf(value: string) {
  return serviceSettingsFromEnv({ AIKEYS_GATEWAY_TOKENS: value }).gatewayClients;
}

function problemsOf(value: string): string {
  try {
    clientsOf(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('AIKEYS_GATEWAY_TOKENS', () => {
  it('parses name:token pairs, tokens kept as Secrets', () => {
    const clients = clientsOf(` billing:${LONG_A} , web.app-2:${LONG_B}`)!;
    expect(clients.map((c) => c.name)).toEqual(['billing', 'web.app-2']);
    expect(clients[0]!.token.reveal()).toBe(LONG_A);
    expect(JSON.stringify(clients)).not.toContain(LONG_A);
  });

  it('is undefined when unset', () => {
    expect(serviceSettingsFromEnv({}).gatewayClients).toBeUndefined();
  });

  it.each([
    ['no colon', 'billing', /entry 1 must be written name:token/],
    ['upper-case name', `Billing:${LONG_A}`, /entry 1: the client name must be 1-64 of a-z/],
    ['empty token', 'billing:', /entry 1 \(billing\): the token must be non-empty/],
    ['name twice', `a:${LONG_A},a:${LONG_B}`, /entry 2: client name a is listed twice/],
    ['token shared', `a:${LONG_A},b:${LONG_A}`, /entry 2 \(b\): its token is also another client's/],
  ])('refuses %s, naming the entry and never the token', (_what, value, message) => {
    const text = problemsOf(value);
    expect(text).toMatch(/AIKEYS_GATEWAY_TOKENS/);
    expect(text).toMatch(message);
    expect(text).not.toContain(LONG_A);
  });
});

describe('client tokens at start', () => {
  const clients = clientsOf(`long:${LONG_A},short:tiny-token`)!;

  it('refuses a token under 32 characters off loopback, naming the client', () => {
    expect(() => checkGatewayClients(clients, '0.0.0.0', '.env.local')).toThrow(
      /\.env\.local: AIKEYS_GATEWAY_TOKENS: token of short is shorter than 32.*openssl rand/,
    );
  });

  it('accepts short tokens on loopback', () => {
    expect(checkGatewayClients(clients, '127.0.0.1', '.env.local')).toBe(clients);
  });

  it('refuses to serve without clients', () => {
    expect(() => checkGatewayClients(undefined, '127.0.0.1', '.env.local')).toThrow(
      /AIKEYS_GATEWAY_TOKENS.*is not set/,
    );
  });
});

describe('client auth', () => {
  const auth = createClientAuth(clientsOf(`billing:${LONG_A},web:${LONG_B}`)!);

  it('names the client of a matching token, and none for a wrong or prefix token', () => {
    expect(auth.identify(LONG_A)).toBe('billing');
    expect(auth.identify(LONG_B)).toBe('web');
    expect(auth.identify(LONG_A.slice(0, 39))).toBeUndefined();
    expect(auth.identify('')).toBeUndefined();
  });

  it('accepts the token a connection was accepted with again, and checks any other one in full', () => {
    const connection = {};
    expect(auth.identify(LONG_A, connection)).toBe('billing');
    expect(auth.identify(LONG_A, connection)).toBe('billing');
    // Same length, one character off; a prefix; another client's token on the same connection.
    expect(auth.identify(`${LONG_A.slice(0, -1)}!`, connection)).toBeUndefined();
    expect(auth.identify(LONG_A.slice(0, 39), connection)).toBeUndefined();
    expect(auth.identify(`${LONG_A}x`, connection)).toBeUndefined();
    expect(auth.identify(LONG_B, connection)).toBe('web');
    expect(auth.identify(LONG_A, connection)).toBe('billing');
    expect(auth.identify('wrong', {})).toBeUndefined();
  });

  it('reads Bearer and x-api-key', () => {
    expect(presentedToken({ authorization: `Bearer ${LONG_A}` })).toBe(LONG_A);
    expect(presentedToken({ authorization: `bearer  ${LONG_A} ` })).toBe(LONG_A);
    expect(presentedToken({ 'x-api-key': LONG_B })).toBe(LONG_B);
    expect(presentedToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedToken({})).toBeUndefined();
  });
});
