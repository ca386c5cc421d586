/**
 * AI_ENCRYPTION_KEY: required, base64 of exactly 32 bytes; AI_ENCRYPTION_KEY_PREVIOUS: optional,
 * comma-separated keys of the same form. Checked here rather than in the zod
 * schema so the value is wrapped in a Secret at once and problems can say how many bytes it
 * decoded to (never the value). The byte rule is crypto's (`MASTER_KEY_BYTES`).
 */
import type { ConfigProblem } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { KeyRing, MASTER_KEY_BYTES } from '../crypto/key-ring.js';
import { problemAt, type SettingValue } from './setting-sources.js';
import { ENCRYPTION_KEY_PREVIOUS_SETTING, ENCRYPTION_KEY_SETTING } from './settings-schema.js';
import type { SystemSettings } from './types.js';

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

/**
 * `AI_ENCRYPTION_KEY_PREVIOUS`: each comma-separated item base64 of 32 bytes; a problem names the
 * item's position, never its value. Unset or empty = no previous keys.
 */
export function checkPreviousEncryptionKeys(source: SettingValue | undefined): {
  keys: Secret[];
  problems: ConfigProblem[];
} {
  if (source === undefined || source.value.trim() === '') return { keys: [], problems: [] };
  const keys: Secret[] = [];
  const problems: ConfigProblem[] = [];
  const items = source.value.split(',').map((item) => item.trim());
  for (const [index, text] of items.entries()) {
    const bytes = Buffer.from(text, 'base64').length;
    if (BASE64.test(text) && bytes === MASTER_KEY_BYTES) {
      keys.push(new Secret(text));
      continue;
    }
    const which = `item ${index + 1} of ${items.length}`;
    const what = BASE64.test(text) ? `decodes to ${bytes} bytes` : 'is not base64';
    problems.push(
      problemAt(
        source,
        ENCRYPTION_KEY_PREVIOUS_SETTING,
        `${which} ${text === '' ? 'is empty' : what}; each previous key must be base64 of exactly ${MASTER_KEY_BYTES} bytes, comma separated`,
        'put the old AI_ENCRYPTION_KEY values here as they were, or remove the setting once `aikeys health` shows they seal no key',
      ),
    );
  }
  return { keys, problems };
}

/** The master keys of a config: AI_ENCRYPTION_KEY seals, every key opens. */
export function keyRingOf(system: Pick<SystemSettings, 'encryptionKey' | 'previousEncryptionKeys'>): KeyRing {
  return KeyRing.fromSecrets(system.encryptionKey, system.previousEncryptionKeys);
}
