import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { open, readEnvelopeHeader, seal } from '../../src/crypto/envelope.js';
import { decodeMasterKey, generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { hashSecret } from '../../src/crypto/hash.js';

const ring = KeyRing.fromSecrets(generateMasterKey());
const other = KeyRing.fromSecrets(generateMasterKey());

describe('envelope', () => {
  it('round-trips any secret and never contains the plaintext', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (plain) => {
        const sealed = seal(new Secret(plain), ring.primary);
        expect(open(sealed, ring).reveal()).toBe(plain);
        if (plain.length >= 8) expect(sealed).not.toContain(plain);
      }),
    );
  });

  it('uses a fresh IV every time', () => {
    const s = new Secret('sk-same-value-1234567890');
    expect(seal(s, ring.primary)).not.toBe(seal(s, ring.primary));
  });

  it('records version, algorithm and master key id', () => {
    expect(readEnvelopeHeader(seal(new Secret('x'), ring.primary))).toEqual({
      version: 'v1',
      algorithm: 'aes-256-gcm',
      keyId: ring.primary.id,
    });
  });

  it('fails clearly with an unknown master key', () => {
    expect(() => open(seal(new Secret('sk-abc'), ring.primary), other)).toThrow(/not configured/);
  });

  it('opens values sealed by a previous key after rotation', () => {
    const rotated = new KeyRing(other.primary, [ring.primary]);
    expect(open(seal(new Secret('sk-old'), ring.primary), rotated).reveal()).toBe('sk-old');
  });

  it('detects a change to any character', () => {
    const sealed = seal(new Secret('sk-live-abcdef0123456789'), ring.primary);
    // Every position, every replacement: exhaustive, so base64's spare bits are covered too.
    for (let i = 0; i < sealed.length; i++) {
      if (sealed[i] === ':') continue;
      for (const ch of ['A', 'B', 'Q', 'g', 'w', '0', '_', '-']) {
        if (sealed[i] === ch) continue;
        const tampered = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        expect(() => open(tampered, ring), `position ${i} -> ${ch}`).toThrow();
      }
    }
  });

  it('detects a header swapped to another known key', () => {
    const both = new KeyRing(ring.primary, [other.primary]);
    const sealed = seal(new Secret('sk-abc'), ring.primary);
    expect(() => open(sealed.replace(ring.primary.id, other.primary.id), both)).toThrow(
      /failed authentication/,
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
