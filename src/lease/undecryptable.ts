/**
 * A stored key this process cannot decrypt, or whose envelope belongs to another key, provider or
 * account, or whose plaintext does not hash to its api_key_hash, is of no use to any call, and will
 * not become usable by itself: it is disabled at once (kind invalid_key, the kind for "this key as stored cannot serve";
 * an operator fixes AI_ENCRYPTION_KEY or re-imports, then enables it) rather than released as a
 * request error and chosen again by the next lease. The reason names the cause, never the secret.
 */
import { CryptoError } from '../core/errors.js';

/** The disable reason for a decryption failure, or null when the error is not one (then rethrown). */
export function undecryptableReason(error: unknown): string | null {
  if (!(error instanceof CryptoError)) return null;
  const fix =
    'set AI_ENCRYPTION_KEY or AI_ENCRYPTION_KEY_PREVIOUS to the key it was sealed with or re-import it, then enable the key';
  switch (error.code) {
    case 'MASTER_KEY_UNKNOWN': {
      const sealedBy = typeof error.context.keyId === 'string' ? ` ${error.context.keyId}` : '';
      return `cannot decrypt: sealed by another master key${sealedBy}; ${fix}`;
    }
    case 'ENVELOPE_TAMPERED':
      return `cannot decrypt: tampered (failed authentication); ${fix}`;
    case 'ENVELOPE_BOUND_ELSEWHERE':
      return 'cannot decrypt: bound to another key, provider or account, or altered (failed authentication); re-import it, then enable the key';
    case 'KEY_HASH_MISMATCH':
      return 'cannot decrypt: hash mismatch (the secret is not the one api_key_hash names; its envelope was copied from another key); re-import it, then enable the key';
    case 'ENVELOPE_MALFORMED':
      return `cannot decrypt: envelope truncated or altered; ${fix}`;
    case 'ENVELOPE_UNSUPPORTED':
      return 'cannot decrypt: envelope format not supported by this version of aikeys; upgrade aikeys, then enable the key';
    default:
      return null;
  }
}
