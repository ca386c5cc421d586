/**
 * AI_ENCRYPTION_KEY: required, base64 of exactly 32 bytes. Checked here rather than in the zod
 * schema so the value is wrapped in a Secret at once and problems can say how many bytes it
 * decoded to (never the value). The byte rule is crypto's (`MASTER_KEY_BYTES`).
 */
import type { ConfigProblem } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { MASTER_KEY_BYTES } from '../crypto/key-ring.js';
import { problemAt, type SettingValue } from './setting-sources.js';
import { ENCRYPTION_KEY_SETTING } from './settings-schema.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function encryptionKeyHint(file: string): string {
  return `run \`aikeys gen-key\` and add ${ENCRYPTION_KEY_SETTING}=... to ${file}`;
}

/**
 * `source` undefined = not set (or empty) anywhere; `emptyLine` is the line of an empty
 * `AI_ENCRYPTION_KEY=` in the file, so the problem can point at it.
 */
export function checkEncryptionKey(
  source: SettingValue | undefined,
  file: string,
  emptyLine?: number,
): { key: Secret; problem?: undefined } | { key?: undefined; problem: ConfigProblem } {
  const hint = encryptionKeyHint(file);
  if (source === undefined) {
    return {
      problem: {
        file,
        ...(emptyLine === undefined ? {} : { line: emptyLine }),
        name: ENCRYPTION_KEY_SETTING,
        message: 'Encryption key not configured',
        hint,
      },
    };
  }
  const text = source.value.trim();
  const bytes = Buffer.from(text, 'base64').length;
  if (!BASE64.test(text)) {
    const message = `Encryption key is not base64 (it must be base64 of exactly ${MASTER_KEY_BYTES} bytes)`;
    return { problem: problemAt(source, ENCRYPTION_KEY_SETTING, message, hint) };
  }
  if (bytes !== MASTER_KEY_BYTES) {
    const message = `Encryption key must be base64 of exactly ${MASTER_KEY_BYTES} bytes; it decodes to ${bytes} bytes`;
    return { problem: problemAt(source, ENCRYPTION_KEY_SETTING, message, hint) };
  }
  return { key: new Secret(text) };
}
