/**
 * The README's configuration table and config/.env.example, generated from the setting declarations
 * (`npm run docs:settings` writes them; a unit test fails when the committed files differ), so the
 * docs cannot drift from what the parser accepts. Pure functions: the script does the file I/O.
 */
import type { SettingDeclaration, SettingPattern } from './setting-declaration.js';
import { SETTINGS } from './setting-declarations.js';
import { SETTING_PATTERNS } from './setting-patterns.js';

export const TABLE_START = '<!-- settings:start -->';
export const TABLE_END = '<!-- settings:end -->';
export const REGENERATE_HINT = 'run npm run docs:settings';

const DECLARED: readonly SettingDeclaration[] = SETTINGS;
const WIDTH = 100;

const declared = (group: SettingDeclaration['group']) => DECLARED.filter((d) => d.group === group);
const patterns = (group: SettingPattern['group']) => SETTING_PATTERNS.filter((p) => p.group === group);

/** The default column: the value in code font, or what unset means in words. */
function defaultCell(d: SettingDeclaration): string {
  if (d.required === true) return 'required';
  if (d.type.defaultText !== undefined) return `\`${d.type.defaultText}\``;
  return d.unset ?? '—';
}

const yesNo = (flag: boolean): string => (flag ? 'yes' : 'no');

/** The Markdown table, header included, one row per pattern and setting. */
export function renderSettingsTable(): string {
  const row = (name: string, def: string, reloadable: boolean, meaning: string) =>
    `| \`${name}\` | ${def} | ${yesNo(reloadable)} | ${meaning.replaceAll('|', '\\|')} |`;
  const ofPattern = (p: SettingPattern) => row(p.name, p.default, p.reloadable, p.description);
  const ofSetting = (d: SettingDeclaration) => row(d.name, defaultCell(d), d.reloadable, d.description);
  return [
    '| Setting | Default | Reloadable | Meaning |',
    '|---|---|---|---|',
    ...patterns('key').map(ofPattern),
    ...declared('system').map(ofSetting),
    ...patterns('provider').map(ofPattern),
    ...declared('service').map(ofSetting),
  ].join('\n');
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) {
    throw new Error(`README.md needs the markers ${TABLE_START} and ${TABLE_END} around the settings table`);
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderSettingsTable()}\n${readme.slice(end)}`;
}

/** Markdown to plain comment text: code spans lose their backticks. */
const plain = (markdown: string): string => markdown.replaceAll('`', '');

/** `text` as `# ` comment lines no wider than WIDTH. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > WIDTH && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

function section(title: string): string[] {
  const rule = `# ${'-'.repeat(WIDTH - 7)}`;
  return ['', rule, `# ${title}`, rule];
}

/** `sentence` with a parenthesis added before its final full stop. */
function withNote(sentence: string, note: string): string {
  return sentence.endsWith('.') ? `${sentence.slice(0, -1)} (${note}).` : `${sentence} (${note})`;
}

function settingLines(d: SettingDeclaration): string[] {
  const described = plain(d.description);
  const noted =
    d.type.defaultText === undefined && d.unset !== undefined
      ? withNote(described, `unset = ${d.unset}`)
      : described;
  const value = d.type.defaultText ?? d.example ?? '';
  // A required setting is left uncommented and empty, so the file shows what must be filled in.
  const assignment = d.required === true ? `${d.name}=` : `# ${d.name}=${value}`;
  return [...comment(noted), assignment];
}

function patternLines(p: SettingPattern): string[] {
  const described = plain(p.description);
  const noted = p.default === '—' ? described : withNote(described, `default ${plain(p.default)}`);
  return [...comment(noted), `# ${p.name}=${p.placeholder}`];
}

const HEADER = [
  '# aikeys configuration. Copy this file to config/.env.local (git-ignored) and fill in real values:',
  '#   cp config/.env.example config/.env.local',
  '# Another file can be used with AIKEYS_ENV_FILE=/path/to/file. A setting present in the process',
  '# environment overrides this file, except keys (KEY_N...), which are read from this file only.',
  '# Values follow dotenv rules: quote a value that contains # or spaces, e.g. KEY_9="sk-abc#def".',
  '# Generated from src/config/setting-declarations.ts by `npm run docs:settings`: edit there.',
];

/** Example keys: the file loads as shipped once the encryption key is filled in. */
const KEY_EXAMPLES = [
  '',
  '# Per provider, the first half of the keys (by N) form the primary account (priority 1), the rest',
  '# the fallback account (priority 2). The values below are placeholders: replace them.',
  'KEY_1=sk-replace-me-1',
  'KEY_1_MODEL=gpt-4-turbo',
  'KEY_1_PROVIDER=openai',
  '',
  'KEY_2=sk-replace-me-2',
  'KEY_2_MODEL=gpt-3.5-turbo',
  'KEY_2_PROVIDER=openai',
  '',
  '# KEY_3=sk-ant-replace-me-3',
  '# KEY_3_PROVIDER=anthropic',
  '# KEY_3_MODEL=claude-3-5-haiku-latest',
  '# KEY_3_DAILY_LIMIT=200000',
  '# KEY_3_MAX_CONCURRENCY=4',
  '',
  '# Legacy key names (API_KEY_N_PRIMARY, API_KEY_N, OPENAI_API_KEY, GEMINI_API_KEY)',
  '# still load, numbered after the highest KEY_N; startup says how to rename each.',
];

const PROVIDER_EXAMPLES = [
  '',
  '# AI_PROVIDER_OPENAI_BASE_URL=http://127.0.0.1:6556/v1',
  '# AI_PROVIDER_OPENROUTER_BASE_URL=https://openrouter.ai/api/v1',
  '# AI_PROVIDER_ANTHROPIC_API=anthropic',
];

/** The whole config/.env.example. */
export function renderEnvExample(): string {
  const system = declared('system');
  return [
    ...HEADER,
    ...section('Required'),
    ...system.filter((d) => d.required === true).flatMap(settingLines),
    ...section('API keys'),
    ...patterns('key').flatMap(patternLines),
    ...KEY_EXAMPLES,
    ...section('Provider endpoints (optional)'),
    ...patterns('provider').flatMap(patternLines),
    ...PROVIDER_EXAMPLES,
    ...section('System settings (defaults shown)'),
    ...system.filter((d) => d.required !== true).flatMap(settingLines),
    ...section('Services (defaults shown)'),
    ...declared('service').flatMap(settingLines),
    '',
  ].join('\n');
}
