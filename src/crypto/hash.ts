import { createHash } from 'node:crypto';
import type { Secret } from '../core/secret.js';

/** SHA-256 hex of a secret: how a key is found in Postgres without decrypting anything. */
export function hashSecret(secret: Secret): string {
  return createHash('sha256').update(secret.reveal(), 'utf8').digest('hex');
}
