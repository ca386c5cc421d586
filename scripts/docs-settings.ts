// `npm run docs:settings`: rewrites the README's configuration table (between its settings markers)
// and the whole config/.env.example from the setting declarations (src/config/settings-docs.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvExample, withSettingsTable } from '../src/config/settings-docs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = path.join(ROOT, 'README.md');
const ENV_EXAMPLE = path.join(ROOT, 'config/.env.example');

writeFileSync(README, withSettingsTable(readFileSync(README, 'utf8')));
writeFileSync(ENV_EXAMPLE, renderEnvExample());
console.log(`docs:settings: wrote ${path.relative(ROOT, README)} and ${path.relative(ROOT, ENV_EXAMPLE)}`);
