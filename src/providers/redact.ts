/**
 * Scrubs key material out of text that came from a provider or an HTTP library before it is
 * logged or stored. Providers echo keys back: OpenAI's 401 says "Incorrect API key provided:
 * sk-proj-****abcd", proxies repeat the Authorization header in error pages. So the actual key is
 * removed wherever it appears, and so is anything shaped like a vendor key.
 */
import type { Secret } from '../core/secret.js';

const REDACTED = '[redacted]';

/**
 * Vendor key shapes: OpenAI / Anthropic / DeepSeek / OpenRouter `sk-...` (including masked
 * echoes with `*`), Google `AIza...`, Groq `gsk_...`, xAI `xai-...`, and bearer tokens.
 */
const KEY_LIKE: readonly RegExp[] = [
  /sk-[A-Za-z0-9_*.-]{6,}/g,
  /AIza[A-Za-z0-9_-]{20,}/g,
  /gsk_[A-Za-z0-9]{10,}/g,
  /xai-[A-Za-z0-9]{10,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=*-]+/gi,
  // A masked echo of any key ("sim-401-****abcd"): it shows more of the key than our own mask does.
  /[A-Za-z0-9_-]*\*{3,}[A-Za-z0-9_*-]*/g,
];

/** A key shorter than this could collide with ordinary words; the shape rules cover those. */
const MIN_LITERAL_SECRET = 8;

export function redactSecrets(text: string, secret?: Secret): string {
  let out = text;
  if (secret !== undefined && secret.length >= MIN_LITERAL_SECRET) {
    out = out.split(secret.reveal()).join(REDACTED);
  }
  for (const pattern of KEY_LIKE) out = out.replace(pattern, REDACTED);
  return out;
}

/** Provider messages go into job results and Postgres: keep them to one readable line. */
export const MAX_MESSAGE_LENGTH = 300;

export function safeMessage(text: string, secret?: Secret): string {
  const oneLine = redactSecrets(text, secret).replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_MESSAGE_LENGTH ? oneLine : `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}
