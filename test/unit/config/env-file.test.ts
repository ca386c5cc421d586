import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../../src/config/env-file.js';
import { ENCRYPTION_LINE, envText, expectProblem, FILE, parse } from './helpers.js';

describe('env file', () => {
  it('reads NAME=value lines with dotenv semantics and their line numbers', () => {
    const text = envText(
      '# a comment',
      '',
      'PLAIN=abc # trailing comment',
      'export EXPORTED=1',
      'DOUBLE="has # hash and spaces"',
      "SINGLE='x y'",
      'SPACED =  value  ',
      'MULTI="first',
      'second"',
      'AFTER=2',
    );
    const { entries, problems } = parseEnvFile(text, FILE);
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { name: 'PLAIN', value: 'abc', line: 3 },
      { name: 'EXPORTED', value: '1', line: 4 },
      { name: 'DOUBLE', value: 'has # hash and spaces', line: 5 },
      { name: 'SINGLE', value: 'x y', line: 6 },
      { name: 'SPACED', value: 'value', line: 7 },
      { name: 'MULTI', value: 'first\nsecond', line: 8 },
      { name: 'AFTER', value: '2', line: 10 },
    ]);
  });

  it('handles CRLF line ends and a byte-order mark', () => {
    const { entries } = parseEnvFile('\uFEFFA=1\r\nB=2\r\n', FILE);
    expect(entries).toEqual([
      { name: 'A', value: '1', line: 1 },
      { name: 'B', value: '2', line: 2 },
    ]);
  });

  it('reports a malformed line by file and line without quoting it', () => {
    const pasted = 'sk-pasted-secret-without-a-name';
    const problem = expectProblem(envText(ENCRYPTION_LINE, 'KEY_1=sk-one-aaaa', pasted), { line: 3 }, [
      pasted,
    ]);
    expect(problem.message).toMatch(/malformed line/);
    expect(problem.hint).toMatch(/NAME=value/);
  });

  it('reports a name defined twice, naming both lines', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, 'KEY_1=sk-first-1111', 'AI_MAX_RETRIES=2', 'KEY_1=sk-second-2222'),
      { line: 4, name: 'KEY_1' },
      ['sk-first-1111', 'sk-second-2222'],
    );
    expect(problem.message).toContain('lines 2 and 4');
  });

  it('reports an unterminated quote at the line that opens it', () => {
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, 'KEY_1="sk-open-quote', 'KEY_2=sk-two-2222'),
      {
        line: 2,
        name: 'KEY_1',
      },
      ['sk-open-quote', 'sk-two-2222'],
    );
    expect(problem.message).toMatch(/never closed/);
  });

  it('ignores unknown names that are not AI_ settings', () => {
    const config = parse(envText(ENCRYPTION_LINE, 'APP_NAME=shop', 'KEY_1=sk-one-aaaa'));
    expect(config.keys.map((k) => k.name)).toEqual(['key_1']);
  });
});
