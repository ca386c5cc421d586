/**
 * Encrypted secrets are stored as a self-describing envelope:
 *
 *   aikeys:v2:aes-256-gcm:<master key id>:<iv>:<tag>:<ciphertext>      (iv, tag, ciphertext base64url)
 *
 * The version and algorithm let the format change; the master key id says which key sealed it, so
 * keys can be rotated and a value sealed by an unknown key fails with a clear error rather than
 * garbage. The GCM additional data is the header and, from v2 on, the row the secret belongs to
 * (key id, provider, account id): an envelope copied to another row, or a row moved to another
 * account or provider behind the import's back, fails authentication instead of sending one
 * provider's key to another provider. v1 envelopes (header only) are still read, and re-sealed as
 * v2 by the import and by `aikeys rotate-encryption-key`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { KeyRing, MasterKey } from './key-ring.js';

const MAGIC = 'aikeys';
export const ENVELOPE_VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EnvelopeHeader {
  readonly version: string;
  readonly algorithm: string;
  readonly keyId: string;
}

/** The row a sealed secret belongs to; authenticated with it, never stored in the envelope. */
export interface KeyBinding {
  readonly keyId: number;
  readonly provider: string;
  readonly accountId: number;
}

function header(version: string, keyId: string): string {
  return `${MAGIC}:${version}:${ALGORITHM}:${keyId}`;
}

/** NUL-separated: no provider name (checked lower-case [a-z0-9_-]) or number contains one. */
function additionalData(version: string, masterKeyId: string, binding: KeyBinding): Buffer {
  const head = header(version, masterKeyId);
  if (version === LEGACY_VERSION) return Buffer.from(head, 'utf8');
  const bound = `key_id=${binding.keyId}\0provider=${binding.provider}\0account_id=${binding.accountId}`;
  return Buffer.from(`${head}\0${bound}`, 'utf8');
}

export function seal(secret: Secret, key: MasterKey, binding: KeyBinding): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(ENVELOPE_VERSION, key.id, binding));
  const ciphertext = Buffer.concat([cipher.update(secret.reveal(), 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    header(ENVELOPE_VERSION, key.id),
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

export function open(envelope: string, ring: KeyRing, binding: KeyBinding): Secret {
  const { version, algorithm, keyId } = readEnvelopeHeader(envelope);
  if ((version !== ENVELOPE_VERSION && version !== LEGACY_VERSION) || algorithm !== ALGORITHM) {
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
        'set AI_ENCRYPTION_KEY (or AI_ENCRYPTION_KEY_PREVIOUS) to the key it was sealed with, or run `aikeys rotate-encryption-key` with both keys',
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
    decipher.setAAD(additionalData(version, keyId, binding));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return new Secret(plain.toString('utf8'));
  } catch (cause) {
    if (version === LEGACY_VERSION) {
      throw new CryptoError(
        'ENVELOPE_TAMPERED',
        'Stored key failed authentication: it was altered, or sealed with a different key under the same id; re-import it with `aikeys import`',
        { cause },
      );
    }
    // GCM cannot say which input differed: a copied envelope and a flipped bit look the same.
    throw new CryptoError(
      'ENVELOPE_BOUND_ELSEWHERE',
      'Stored key failed authentication: its envelope is bound to another key, provider or account, or was altered; re-import it with `aikeys import`',
      { cause, context: { keyId: binding.keyId } },
    );
  }
}
