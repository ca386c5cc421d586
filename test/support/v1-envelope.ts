/**
 * Seals as aikeys did before envelopes were bound to their rows (v1: the GCM additional data is
 * the header alone), so tests can prove such envelopes still open and are re-sealed as v2.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Secret } from '../../src/core/secret.js';
import type { MasterKey } from '../../src/crypto/key-ring.js';

export function sealV1(secret: Secret, key: MasterKey): string {
  const head = `aikeys:v1:aes-256-gcm:${key.id}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(head, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret.reveal(), 'utf8'), cipher.final()]);
  return [head, iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join(':');
}
