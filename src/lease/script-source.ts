/**
 * A lease script's source with its includes in place. A line `--- @include "<path>"` (BullMQ's
 * directive; the path relative to the including file, without `.lua`) is replaced by that file,
 * itself expanded the same way. Each file goes in once per script, where it is first named, so a
 * helper always stands ahead of the code that uses it and a script carries only the helpers it
 * names. library-source.ts makes the scripts one FUNCTION library.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const INCLUDE = /^--- @include "([^"]+)"\s*$/;

export function assembleScript(file: string): string {
  return assembleText(readFileSync(file, 'utf8'), file, new Set());
}

/**
 * `text` (read from `file`) with its includes in place, each file placed once per `placed`: a set
 * shared by several texts places an include only in the first that names it.
 */
export function assembleText(text: string, file: string, placed: Set<string>): string {
  const root = dirname(file);
  const shown = (f: string) => relative(root, f) || f;

  const expand = (lines: string[], current: string, ancestors: readonly string[]): string =>
    lines
      .map((line, index) => {
        const name = INCLUDE.exec(line)?.[1];
        if (name === undefined) return line;
        const target = resolve(dirname(current), `${name}.lua`);
        const chain = [...ancestors, current];
        if (!existsSync(target))
          throw new Error(`${shown(current)}:${index + 1}: included file ${shown(target)} does not exist`);
        if (chain.includes(target))
          throw new Error(`Lua includes form a cycle: ${[...chain, target].map(shown).join(' -> ')}`);
        if (placed.has(target)) return '';
        placed.add(target);
        return expand(readFileSync(target, 'utf8').split('\n'), target, chain);
      })
      .join('\n');

  return expand(text.split('\n'), resolve(file), []);
}

/** Whether a line is an include directive. */
export function isInclude(line: string): boolean {
  return INCLUDE.test(line);
}
