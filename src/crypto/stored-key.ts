/**
 * Opening a key as stored in `ai_api_keys`: the envelope with the row it must be bound to, and the
 * plaintext checked against the row's `api_key_hash`. The hash check catches what the binding
 * cannot: a v1 envelope (no binding) copied from another row. Every reader of stored keys (the
 * lease pool, the rotation, the CLI's masked listing) opens through here.
 */
import { timingSafeEqual } from 'node:crypto';
import { CryptoError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { open, type KeyBinding } from './envelope.js';
import { hashSecret } from './hash.js';
import type { KeyRing } from './key-ring.js';

export interface StoredKey extends KeyBinding {
  readonly envelope: string;
  /** `api_key_hash`: SHA-256 hex of the plaintext. */
  readonly hash: string;
}

export function openStoredKey(stored: StoredKey, ring: KeyRing): Secret {
  const secret = open(stored.envelope, ring, stored);
  const actual = Buffer.from(hashSecret(secret), 'utf8');
  const expected = Buffer.from(stored.hash, 'utf8');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new CryptoError(
      'KEY_HASH_MISMATCH',
      `Stored key ${stored.keyId} decrypts to a secret whose SHA-256 is not its api_key_hash; re-import it with \`aikeys import\``,
      { context: { keyId: stored.keyId } },
    );
  }
  return secret;
}
