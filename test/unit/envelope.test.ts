import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { open, readEnvelopeHeader, seal, type KeyBinding } from '../../src/crypto/envelope.js';
import { decodeMasterKey, generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { hashSecret } from '../../src/crypto/hash.js';
import { openStoredKey } from '../../src/crypto/stored-key.js';
import { sealV1 } from '../support/v1-envelope.js';

const ring = KeyRing.fromSecrets(generateMasterKey());
const other = KeyRing.fromSecrets(generateMasterKey());
const at: KeyBinding = { keyId: 7, provider: 'openai', accountId: 1 };

describe('envelope', () => {
  it('round-trips any secret and never contains the plaintext', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (plain) => {
        const sealed = seal(new Secret(plain), ring.primary, at);
        expect(open(sealed, ring, at).reveal()).toBe(plain);
        if (plain.length >= 8) expect(sealed).not.toContain(plain);
      }),
    );
  });

  it('uses a fresh IV every time', () => {
    const s = new Secret('sk-same-value-1234567890');
    expect(seal(s, ring.primary, at)).not.toBe(seal(s, ring.primary, at));
  });

  it('records version, algorithm and master key id', () => {
    expect(readEnvelopeHeader(seal(new Secret('x'), ring.primary, at))).toEqual({
      version: 'v2',
      algorithm: 'aes-256-gcm',
      keyId: ring.primary.id,
    });
  });

  it('fails clearly with an unknown master key', () => {
    expect(() => open(seal(new Secret('sk-abc'), ring.primary, at), other, at)).toThrow(/not configured/);
  });

  it('opens values sealed by a previous key after rotation', () => {
    const rotated = new KeyRing(other.primary, [ring.primary]);
    expect(open(seal(new Secret('sk-old'), ring.primary, at), rotated, at).reveal()).toBe('sk-old');
  });

  it('detects a change to any character', () => {
    const sealed = seal(new Secret('sk-live-abcdef0123456789'), ring.primary, at);
    // Every position, every replacement: exhaustive, so base64's spare bits are covered too.
    for (let i = 0; i < sealed.length; i++) {
      if (sealed[i] === ':') continue;
      for (const ch of ['A', 'B', 'Q', 'g', 'w', '0', '_', '-']) {
        if (sealed[i] === ch) continue;
        const tampered = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        expect(() => open(tampered, ring, at), `position ${i} -> ${ch}`).toThrow();
      }
    }
  });

  it('detects a header swapped to another known key', () => {
    const both = new KeyRing(ring.primary, [other.primary]);
    const sealed = seal(new Secret('sk-abc'), ring.primary, at);
    expect(() => open(sealed.replace(ring.primary.id, other.primary.id), both, at)).toThrow(
      /failed authentication/,
    );
  });

  it('binds the envelope to its key id, provider and account id', () => {
    const sealed = seal(new Secret('sk-bound-0123456789'), ring.primary, at);
    expect(open(sealed, ring, { ...at }).reveal()).toBe('sk-bound-0123456789');
    for (const elsewhere of [
      { ...at, keyId: 8 },
      { ...at, provider: 'anthropic' },
      { ...at, accountId: 2 },
    ]) {
      expect(() => open(sealed, ring, elsewhere)).toThrow(
        expect.objectContaining({
          code: 'ENVELOPE_BOUND_ELSEWHERE',
          message: expect.stringMatching(/bound to another key/),
        }),
      );
    }
  });

  it('still opens a v1 envelope (no binding), wherever it is', () => {
    const sealed = sealV1(new Secret('sk-legacy-0123456789'), ring.primary);
    expect(readEnvelopeHeader(sealed).version).toBe('v1');
    expect(open(sealed, ring, at).reveal()).toBe('sk-legacy-0123456789');
    expect(open(sealed, ring, { ...at, keyId: 99 }).reveal()).toBe('sk-legacy-0123456789');
  });

  it('a stored key opens only when its plaintext hashes to api_key_hash', () => {
    const secret = new Secret('sk-hashed-0123456789');
    const stored = { ...at, envelope: seal(secret, ring.primary, at), hash: hashSecret(secret) };
    expect(openStoredKey(stored, ring).reveal()).toBe('sk-hashed-0123456789');
    const copied = { ...stored, envelope: sealV1(new Secret('sk-other-key-987654'), ring.primary) };
    expect(() => openStoredKey(copied, ring)).toThrow(
      expect.objectContaining({
        code: 'KEY_HASH_MISMATCH',
        message: expect.not.stringContaining('sk-other'),
      }),
    );
  });

  it('rejects master keys that are not base64 of 32 bytes', () => {
    expect(() => decodeMasterKey(new Secret(Buffer.alloc(16).toString('base64')))).toThrow(
      /exactly 32 bytes/,
    );
    expect(() => decodeMasterKey(new Secret('not base64!'))).toThrow(/exactly 32 bytes/);
  });

  it('hashes as SHA-256 hex', () => {
    expect(hashSecret(new Secret('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
