import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENCRYPTION_LINE, envText, MASTER_KEY, parse } from './helpers.js';

const SECRETS = [
  'sk-security-aaaaaaaaaaaaaaaa',
  'sk-ant-security-bbbbbbbbbbbbbb',
  'sk-legacy-security-cccccccccc',
];

describe('config never shows a secret', () => {
  it('serialises and inspects keys and the master key only masked', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        `KEY_1=${SECRETS[0]}`,
        `KEY_2=${SECRETS[1]}`,
        'KEY_2_PROVIDER=anthropic',
        `OPENAI_API_KEY=${SECRETS[2]}`,
      ),
    );
    expect(config.keys.map((k) => k.secret.reveal())).toEqual(SECRETS);
    const shown = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config.keys[0]?.secret),
    ].join('\n');
    for (const secret of [...SECRETS, MASTER_KEY]) expect(shown).not.toContain(secret);
    expect(JSON.stringify(config.legacy)).not.toContain(SECRETS[2]);
  });
});
