#!/usr/bin/env node
// `npx aikeys` / the package's bin. In a checkout with its dev dependencies, the TypeScript CLI
// through tsx: no build step, and always the sources as they are now (a dist/ left from an older
// build would not be). Where tsx is not installed (production dependencies only), the compiled CLI
// of `npm run build`.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

let tsx;
try {
  tsx = await import('tsx/esm/api');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}

if (tsx) {
  tsx.register();
  await import('../src/cli/main.ts');
} else if (existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) {
  await import('../dist/src/cli/main.js');
} else {
  process.stderr.write(
    'aikeys: tsx is not installed and there is no compiled CLI (dist/src/cli/main.js): ' +
      'run `npm ci` for the development set-up, or `npm run build` for the compiled one\n',
  );
  process.exitCode = 1;
}
