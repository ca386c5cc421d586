/**
 * Entry point of the `aikeys` CLI (`npm run aikeys -- <args>`, `npx aikeys <args>` through
 * bin/aikeys.js). The program itself is built in program.ts so that tests can run it in-process;
 * this file only connects it to the real process.
 */
import { runCli } from './program.js';

const exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
});
// Not process.exit(): that can cut off output still being written to a pipe.
process.exitCode = exitCode;
