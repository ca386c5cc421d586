import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { MAX_MESSAGE_LENGTH, redactSecrets, safeMessage } from '../../../src/providers/redact.js';

describe('redaction', () => {
  it('never leaves the key in a message, wherever it appears and however long the text', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 8, maxLength: 80 })
          .filter((s) => s.trim().length === s.length && !/\s/.test(s)),
        fc.string({ maxLength: 400 }),
        fc.string({ maxLength: 400 }),
        (key, before, after) => {
          const message = safeMessage(`${before}${key}${after}`, new Secret(key));
          expect(message).not.toContain(key);
          expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
        },
      ),
    );
  });

  it.each([
    'sk-proj-abcdefghijklmnop',
    'sk-ant-api03-abcdefghijkl',
    'AIzaSyA1234567890abcdefghijklmnop',
    'gsk_abcdefghijklmnop1234',
    'xai-abcdefghijklmnop1234',
    'Bearer abc.def.ghi',
    'sk-abc1****************wxyz',
  ])('removes key-shaped text %s without knowing the key', (shape) => {
    expect(redactSecrets(`the key ${shape} was refused`)).toBe('the key [redacted] was refused');
  });

  it('leaves ordinary text alone', () => {
    expect(redactSecrets('Rate limit reached for gpt-4o in organization org-123 on tokens per min.')).toBe(
      'Rate limit reached for gpt-4o in organization org-123 on tokens per min.',
    );
  });
});
