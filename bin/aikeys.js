#!/usr/bin/env node
// `npx aikeys` / the package's bin: run the TypeScript CLI through tsx, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
