import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../src/config/setting-declarations.js';
import { SETTING_PATTERNS } from '../../../src/config/setting-patterns.js';
import {
  REGENERATE_HINT,
  renderEnvExample,
  renderSettingsTable,
  TABLE_END,
  TABLE_START,
  withSettingsTable,
} from '../../../src/config/settings-docs.js';
import { ENCRYPTION_LINE, parse } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const committed = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('generated settings docs', () => {
  it('the committed README table is what the declarations generate', () => {
    const readme = committed('README.md');
    expect(readme, REGENERATE_HINT).toBe(withSettingsTable(readme));
  });

  it('the committed config/.env.example is what the declarations generate', () => {
    expect(committed('config/.env.example'), REGENERATE_HINT).toBe(renderEnvExample());
  });

  it('the table has a row for every setting and pattern, with its default and reloadability', () => {
    const rows = renderSettingsTable().split('\n');
    for (const { name } of [...SETTINGS, ...SETTING_PATTERNS]) {
      expect(
        rows.filter((r) => r.startsWith(`| \`${name}\` |`)),
        name,
      ).toHaveLength(1);
    }
    expect(rows).toContain(
      '| `AI_BLOCK_SECONDS` | `1800` | yes | Block of a rate-limited key when the provider gives no Retry-After (seconds). |',
    );
    expect(rows).toContain(
      "| `AI_ACCOUNT_DAILY_QUOTA` | sum of its keys' daily limits | yes | Tokens per account per day. |",
    );
    expect(rows.find((r) => r.startsWith('| `REDIS_URL` |'))).toContain('| no |');
  });

  it('the defaults .env.example shows are the ones the parser applies', () => {
    const example = renderEnvExample();
    const defaults = parse(`${ENCRYPTION_LINE}\nKEY_1=sk-docs-1111`);
    const shown = SETTINGS.filter((d) => d.type.defaultText !== undefined).map((d) => {
      const line = example.split('\n').find((l) => l.startsWith(`# ${d.name}=`));
      expect(line, d.name).toBeDefined();
      return (line ?? '').slice(2);
    });
    expect(shown.length).toBeGreaterThan(20);
    const config = parse([ENCRYPTION_LINE, 'KEY_1=sk-docs-1111', ...shown].join('\n'));
    expect(config.system).toEqual(defaults.system);
    expect(config.services).toEqual(defaults.services);
  });

  it('refuses a README without the markers, naming them', () => {
    expect(() => withSettingsTable('# no table here\n')).toThrow(`${TABLE_START} and ${TABLE_END}`);
  });

  it('replaces only what is between the markers', () => {
    const readme = `before\n${TABLE_START}\nold table\n${TABLE_END}\nafter\n`;
    expect(withSettingsTable(readme)).toBe(
      `before\n${TABLE_START}\n${renderSettingsTable()}\n${TABLE_END}\nafter\n`,
    );
  });
});
