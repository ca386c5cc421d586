import { createHash, randomBytes } from 'node:crypto';
import { CryptoError } from '../core/errors.js';
import { Secret } from '../core/secret.js';

export const MASTER_KEY_BYTES = 32;

export interface MasterKey {
  /** Public fingerprint of the key, stored in every envelope it seals; reveals nothing about the key. */
  readonly id: string;
  readonly bytes: Buffer;
}

/** A fresh master key, base64 of 32 random bytes (AES-256 needs exactly 32). */
export function generateMasterKey(): Secret {
  return new Secret(randomBytes(MASTER_KEY_BYTES).toString('base64'));
}

export function masterKeyId(bytes: Buffer): string {
  return createHash('sha256').update('aikeys-master-key-id\0').update(bytes).digest('hex').slice(0, 16);
}

/** Decodes base64 of exactly 32 bytes. Config validation reports this more kindly; this is the last guard. */
export function decodeMasterKey(encoded: Secret): MasterKey {
  const text = encoded.reveal().trim();
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || bytes.length !== MASTER_KEY_BYTES) {
    throw new CryptoError(
      'MASTER_KEY_INVALID',
      `The encryption key must be base64 of exactly ${MASTER_KEY_BYTES} bytes (got ${bytes.length}); generate one with \`aikeys gen-key\``,
    );
  }
  return { id: masterKeyId(bytes), bytes };
}

/**
 * The master keys this process knows: one primary that seals new values, and older ones that can
 * still open values sealed before a rotation.
 */
export class KeyRing {
  readonly primary: MasterKey;
  readonly #byId: Map<string, MasterKey>;

  constructor(primary: MasterKey, previous: readonly MasterKey[] = []) {
    this.primary = primary;
    this.#byId = new Map([...previous, primary].map((k) => [k.id, k]));
  }

  static fromSecrets(primary: Secret, previous: readonly Secret[] = []): KeyRing {
    return new KeyRing(decodeMasterKey(primary), previous.map(decodeMasterKey));
  }

  find(id: string): MasterKey | undefined {
    return this.#byId.get(id);
  }
}
