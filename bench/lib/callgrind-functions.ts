/**
 * Instructions by Redis function in one callgrind dump, inclusive of what each calls
 * (`callgrind_annotate --inclusive=yes`), so a command's cost is read off its handler
 * (`evalShaCommand`, `xreadCommand`, ...). Redis 7.0's handler names, as the packaged binary has them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `  1,234 (12.3%)  ???:evalShaCommand [/usr/bin/redis-server]` -> evalShaCommand -> 1234. */
export function parseInclusive(annotated: string): Map<string, number> {
  const byFunction = new Map<string, number>();
  const line = /^\s*([\d,]+)\s+\([^)]*\)\s+\S*?:(\S+)\s+\[/;
  for (const text of annotated.split('\n')) {
    const match = line.exec(text);
    if (!match) continue;
    const [, count, name] = match as unknown as [string, string, string];
    // A function listed twice (two objects) is summed.
    byFunction.set(name, (byFunction.get(name) ?? 0) + Number(count.replaceAll(',', '')));
  }
  return byFunction;
}

export async function inclusiveByFunction(dump: string): Promise<Map<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'aikeys-annotate-'));
  try {
    const file = join(dir, 'callgrind.out');
    await writeFile(file, dump);
    const { stdout } = await run('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return parseInclusive(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
