/**
 * The admin server's settings: a short admin token is refused at start (naming the setting and how
 * to make a good one, never echoing the token), and Bull Board's write switch defaults to off.
 */
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../setup/cli-run.js';
import { ENCRYPTION_LINE, envText, expectProblem, parse } from './helpers.js';

const KEY = 'KEY_1=sk-admin-settings-1111';

describe('AIKEYS_ADMIN_TOKEN', () => {
  it('refuses a token shorter than 32 characters, saying how to make one', () => {
    const short = 'x'.repeat(31);
    const problem = expectProblem(
      envText(ENCRYPTION_LINE, KEY, `AIKEYS_ADMIN_TOKEN=${short}`),
      { line: 3, name: 'AIKEYS_ADMIN_TOKEN' },
      [short],
    );
    expect(problem.message).toContain('at least 32 characters');
    expect(problem.message).toContain('aikeys gen-key');
  });

  it('accepts 32 characters, and an unset or empty token (no auth, loopback only)', () => {
    const token = 'y'.repeat(32);
    expect(parse(envText(ENCRYPTION_LINE, KEY, `AIKEYS_ADMIN_TOKEN=${token}`)).services.adminToken).toBe(
      token,
    );
    expect(parse(envText(ENCRYPTION_LINE, KEY, 'AIKEYS_ADMIN_TOKEN=')).services.adminToken).toBeUndefined();
    expect(parse(envText(ENCRYPTION_LINE, KEY)).services.adminToken).toBeUndefined();
  });

  it('`aikeys gen-key` prints a value long enough to be the token', async () => {
    const run = await runCliCaptured(['gen-key'], { env: {}, cwd: '/tmp' });
    expect(run.code).toBe(0);
    const value = run.stdout.trim();
    expect(value.length).toBeGreaterThanOrEqual(32);
    const config = parse(envText(ENCRYPTION_LINE, KEY, `AIKEYS_ADMIN_TOKEN=${value}`));
    expect(config.services.adminToken).toBe(value);
  });
});

describe('AIKEYS_BOARD_WRITE', () => {
  it('is false unless set to true', () => {
    expect(parse(envText(ENCRYPTION_LINE, KEY)).services.boardWrite).toBe(false);
    expect(parse(envText(ENCRYPTION_LINE, KEY, 'AIKEYS_BOARD_WRITE=TRUE')).services.boardWrite).toBe(true);
    expect(parse(envText(ENCRYPTION_LINE, KEY, 'AIKEYS_BOARD_WRITE=false')).services.boardWrite).toBe(false);
  });

  it('rejects anything but true or false', () => {
    const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, 'AIKEYS_BOARD_WRITE=yes'), {
      line: 3,
      name: 'AIKEYS_BOARD_WRITE',
    });
    expect(problem.message).toContain('true or false');
  });
});

describe('AIKEYS_TRUST_PROXY', () => {
  it('defaults to loopback and takes names, addresses and CIDR ranges', () => {
    expect(parse(envText(ENCRYPTION_LINE, KEY)).services.trustProxy).toEqual(['loopback']);
    const line = 'AIKEYS_TRUST_PROXY=loopback, 172.16.0.0/12,10.0.0.7,fd00::/8';
    expect(parse(envText(ENCRYPTION_LINE, KEY, line)).services.trustProxy).toEqual([
      'loopback',
      '172.16.0.0/12',
      '10.0.0.7',
      'fd00::/8',
    ]);
  });

  it.each(['everyone', '10.0.0.0/33', '300.1.1.1', ',', 'true'])(
    'rejects %s, saying what it takes',
    (value) => {
      const problem = expectProblem(envText(ENCRYPTION_LINE, KEY, `AIKEYS_TRUST_PROXY=${value}`), {
        line: 3,
        name: 'AIKEYS_TRUST_PROXY',
      });
      expect(problem.message).toContain('CIDR');
    },
  );
});
