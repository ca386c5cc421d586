/**
 * AI_ENCRYPTION_KEY_PREVIOUS: older master keys, comma separated, that open envelopes during an
 * online rotation. Each item is checked like AI_ENCRYPTION_KEY; problems name the setting, the
 * line and the item's position, never a value.
 */
import { describe, expect, it } from 'vitest';
import { keyRingOf } from '../../../src/config/encryption-key.js';
import { decodeMasterKey } from '../../../src/crypto/key-ring.js';
import { Secret } from '../../../src/core/secret.js';
import { ENCRYPTION_LINE, envText, expectProblem, MASTER_KEY, parse } from './helpers.js';

const KEY = 'KEY_1=sk-previous-1111';
const OLD_1 = Buffer.alloc(32, 21).toString('base64');
const OLD_2 = Buffer.alloc(32, 22).toString('base64');

describe('AI_ENCRYPTION_KEY_PREVIOUS', () => {
  it('takes one or more comma-separated keys; the ring seals with AI_ENCRYPTION_KEY and opens with all', () => {
    const config = parse(envText(ENCRYPTION_LINE, `AI_ENCRYPTION_KEY_PREVIOUS=${OLD_1}, ${OLD_2}`, KEY));
    expect(config.system.previousEncryptionKeys.map((k) => k.reveal())).toEqual([OLD_1, OLD_2]);
    expect(JSON.stringify(config.system)).not.toContain(OLD_1);
    const ring = keyRingOf(config.system);
    expect(ring.primary.id).toBe(decodeMasterKey(new Secret(MASTER_KEY)).id);
    for (const old of [OLD_1, OLD_2]) expect(ring.find(decodeMasterKey(new Secret(old)).id)).toBeDefined();
  });

  it('may come from the process environment, and is empty when unset or blank', () => {
    const fromEnv = parse(envText(ENCRYPTION_LINE, KEY), { AI_ENCRYPTION_KEY_PREVIOUS: OLD_1 });
    expect(fromEnv.system.previousEncryptionKeys.map((k) => k.reveal())).toEqual([OLD_1]);
    expect(
      parse(envText(ENCRYPTION_LINE, 'AI_ENCRYPTION_KEY_PREVIOUS=', KEY)).system.previousEncryptionKeys,
    ).toEqual([]);
  });

  it('reports an item of the wrong size by position and byte count, never a value', () => {
    const short = Buffer.alloc(16, 5).toString('base64');
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, `AI_ENCRYPTION_KEY_PREVIOUS=${OLD_1},${short}`, KEY),
      { line: 2, name: 'AI_ENCRYPTION_KEY_PREVIOUS' },
      [OLD_1, short, MASTER_KEY],
    );
    expect(problem.message).toMatch(/^item 2 of 2 decodes to 16 bytes/);
  });

  it('reports an item that is not base64, or empty', () => {
    const bad = expectProblem(
      envText(ENCRYPTION_LINE, 'AI_ENCRYPTION_KEY_PREVIOUS=not-base64!', KEY),
      { line: 2, name: 'AI_ENCRYPTION_KEY_PREVIOUS' },
      ['not-base64!'],
    );
    expect(bad.message).toMatch(/^item 1 of 1 is not base64/);
    const empty = expectProblem(envText(ENCRYPTION_LINE, `AI_ENCRYPTION_KEY_PREVIOUS=${OLD_1},`, KEY), {
      line: 2,
      name: 'AI_ENCRYPTION_KEY_PREVIOUS',
    });
    expect(empty.message).toMatch(/^item 2 of 2 is empty/);
  });
});
