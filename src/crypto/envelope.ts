/**
 * Encrypted secrets are stored as a self-describing envelope:
 *
 *   aikeys:v1:aes-256-gcm:<master key id>:<iv>:<tag>:<ciphertext>      (iv, tag, ciphertext base64url)
 *
 * The version and algorithm let the format change later; the master key id says which key sealed
 * it, so keys can be rotated and a value sealed by an unknown key fails with a clear error rather
 * than garbage. The header is authenticated too (GCM additional data), so it cannot be swapped.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { KeyRing, MasterKey } from './key-ring.js';

const MAGIC = 'aikeys';
const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EnvelopeHeader {
  readonly version: string;
  readonly algorithm: string;
  readonly keyId: string;
}

function header(keyId: string): string {
  return `${MAGIC}:${VERSION}:${ALGORITHM}:${keyId}`;
}

export function seal(secret: Secret, key: MasterKey): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header(key.id), 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret.reveal(), 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    header(key.id),
    iv.toString('base64url'),
    tag.toString('base64url'),
    ciphertext.toString('base64url'),
  ].join(':');
}

export function readEnvelopeHeader(envelope: string): EnvelopeHeader {
  const parts = envelope.split(':');
  if (parts.length !== 7 || parts[0] !== MAGIC) {
    throw new CryptoError(
      'ENVELOPE_MALFORMED',
      'Stored key is not an aikeys envelope; re-import it with `aikeys import`',
    );
  }
  return { version: parts[1]!, algorithm: parts[2]!, keyId: parts[3]! };
}

export function open(envelope: string, ring: KeyRing): Secret {
  const { version, algorithm, keyId } = readEnvelopeHeader(envelope);
  if (version !== VERSION || algorithm !== ALGORITHM) {
    throw new CryptoError(
      'ENVELOPE_UNSUPPORTED',
      `Stored key uses ${version}/${algorithm}, which this version of aikeys cannot read; upgrade aikeys`,
    );
  }
  const key = ring.find(keyId);
  if (!key) {
    throw new CryptoError(
      'MASTER_KEY_UNKNOWN',
      `Stored key was encrypted with master key ${keyId}, which is not configured (current: ${ring.primary.id}); ` +
        'set AI_ENCRYPTION_KEY to the key it was sealed with, or run `aikeys rotate-encryption-key` with both keys',
      { context: { keyId } },
    );
  }
  const [, , , , ivText, tagText, ciphertextText] = envelope.split(':') as [string, ...string[]];
  const iv = Buffer.from(ivText!, 'base64url');
  const tag = Buffer.from(tagText!, 'base64url');
  const ciphertext = Buffer.from(ciphertextText!, 'base64url');
  // Only the canonical encoding is accepted: base64 leaves spare bits in its last character, and a
  // changed spare bit must not go unnoticed.
  const canonical =
    iv.toString('base64url') === ivText &&
    tag.toString('base64url') === tagText &&
    ciphertext.toString('base64url') === ciphertextText;
  if (!canonical || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new CryptoError(
      'ENVELOPE_MALFORMED',
      'Stored key envelope is truncated or altered; re-import it with `aikeys import`',
    );
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(header(keyId), 'utf8'));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([
      decipher.update(Buffer.from(ciphertextText!, 'base64url')),
      decipher.final(),
    ]);
    return new Secret(plain.toString('utf8'));
  } catch (cause) {
    throw new CryptoError(
      'ENVELOPE_TAMPERED',
      'Stored key failed authentication: it was altered, or sealed with a different key under the same id; re-import it with `aikeys import`',
      { cause },
    );
  }
}
