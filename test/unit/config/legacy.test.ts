import { describe, expect, it } from 'vitest';
import { ENCRYPTION_LINE, envText, FILE, parse } from './helpers.js';

describe('legacy key names', () => {
  it('migrates legacy names after the highest KEY_N, in file order, and says how to rename each', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        'GEMINI_API_KEY=gem-legacy-aaaa',
        'KEY_3=sk-explicit-3333',
        'API_KEY_1_PRIMARY=sk-legacy-primary',
        'KEY_1=sk-explicit-1111',
        'API_KEY_2=sk-legacy-two',
        'OPENAI_API_KEY=sk-legacy-openai',
      ),
    );
    const migrated = config.keys.filter((k) => k.number > 3);
    expect(migrated.map((k) => [k.name, k.provider, k.model, k.line, k.secret.reveal()])).toEqual([
      ['key_4', 'gemini', 'gemini-2.0-flash', 2, 'gem-legacy-aaaa'],
      ['key_5', 'openai', 'gpt-4-turbo', 4, 'sk-legacy-primary'],
      ['key_6', 'openai', 'gpt-4-turbo', 6, 'sk-legacy-two'],
      ['key_7', 'openai', 'gpt-4-turbo', 7, 'sk-legacy-openai'],
    ]);
    expect(config.legacy).toEqual([
      {
        file: FILE,
        line: 2,
        name: 'GEMINI_API_KEY',
        newName: 'KEY_4',
        message:
          'GEMINI_API_KEY is a legacy name: rename it to KEY_4 (and add KEY_4_PROVIDER=gemini and KEY_4_MODEL=gemini-2.0-flash)',
      },
      {
        file: FILE,
        line: 4,
        name: 'API_KEY_1_PRIMARY',
        newName: 'KEY_5',
        message: 'API_KEY_1_PRIMARY is a legacy name: rename it to KEY_5',
      },
      {
        file: FILE,
        line: 6,
        name: 'API_KEY_2',
        newName: 'KEY_6',
        message: 'API_KEY_2 is a legacy name: rename it to KEY_6',
      },
      {
        file: FILE,
        line: 7,
        name: 'OPENAI_API_KEY',
        newName: 'KEY_7',
        message: 'OPENAI_API_KEY is a legacy name: rename it to KEY_7',
      },
    ]);
    expect(config.providers.gemini?.api).toBe('openai');
    expect(config.providers.gemini?.baseUrl).toMatch(/^https:\/\/generativelanguage/);
  });

  it('drops a legacy key that repeats a configured key, with a notice to delete the line', () => {
    const config = parse(
      envText(
        ENCRYPTION_LINE,
        'KEY_1=sk-same-key-1111',
        'OPENAI_API_KEY=sk-same-key-1111',
        'API_KEY_1=sk-other-2222',
        'API_KEY_1_PRIMARY=sk-other-2222',
      ),
    );
    expect(config.keys.map((k) => k.name)).toEqual(['key_1', 'key_2']);
    expect(config.legacy.map((n) => [n.line, n.newName, n.message])).toEqual([
      [3, 'KEY_1', 'OPENAI_API_KEY is a legacy name for the same key as KEY_1 (line 2): delete line 3'],
      [4, 'KEY_2', 'API_KEY_1 is a legacy name: rename it to KEY_2'],
      [5, 'KEY_2', 'API_KEY_1_PRIMARY is a legacy name for the same key as KEY_2 (line 4): delete line 5'],
    ]);
    for (const notice of config.legacy) expect(notice.message).not.toMatch(/sk-same|sk-other/);
  });

  it('numbers legacy keys from 1 when there is no KEY_N', () => {
    const config = parse(envText(ENCRYPTION_LINE, 'API_KEY_7_PRIMARY=sk-only-legacy'));
    expect(config.keys.map((k) => k.name)).toEqual(['key_1']);
    expect(config.legacy[0]?.newName).toBe('KEY_1');
  });

  it('ignores legacy names in the process environment: keys come from the file only', () => {
    const config = parse(envText(ENCRYPTION_LINE, 'KEY_1=sk-file-1111'), {
      OPENAI_API_KEY: 'sk-env-2222',
      KEY_2: 'sk-env-3333',
    });
    expect(config.keys.map((k) => k.name)).toEqual(['key_1']);
    expect(config.legacy).toEqual([]);
  });
});
