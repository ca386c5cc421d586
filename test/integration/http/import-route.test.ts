/**
 * `POST /api/import` on the admin server as `npm start` wires it (startAdminServer with the env file
 * reader): a key added to the file is imported, the pool leases it at once (its Redis state was
 * rebuilt), the answer names keys without any secret, and the action is audited. Without the
 * reader (an admin server alone) the route answers 503 ACTIONS_UNAVAILABLE.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { silentLogger } from '../../../src/core/logger.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { startAdminServer, type RunningAdminServer } from '../../../src/runtime/admin-server.js';
import { buildContainer, type Container } from '../../../src/runtime/container.js';
import { importConfig } from '../../../src/store/import-config.js';
import { isolate } from '../../setup/isolation.js';

const env = isolate('importroute');
const SECRETS = [1, 2, 3].map((n) => `sk-import-route-${n}-${'q'.repeat(24)}`);
let file: string;
let container: Container;
let withImport: RunningAdminServer;
let without: RunningAdminServer;

const read = () => loadConfig({ file, env: env.env });

beforeAll(async () => {
  file = path.join(mkdtempSync(path.join(tmpdir(), 'aikeys-import-route-')), '.env.local');
  writeFileSync(
    file,
    [
      `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
      `KEY_1=${SECRETS[0]}`,
      `KEY_2=${SECRETS[1]}`,
      '',
    ].join('\n'),
  );
  const config = read();
  container = await buildContainer(config, silentLogger);
  await importConfig(container.db, config, { ring: KeyRing.fromSecrets(config.system.encryptionKey) });
  await container.pool.hydrate();
  withImport = await startAdminServer(container, [], { port: 0, readForImport: read });
  without = await startAdminServer(container, [], { port: 0 });
});

afterAll(async () => {
  await withImport?.closeStep.close();
  await without?.closeStep.close();
  await container?.close();
  await env.cleanup();
});

async function post(server: RunningAdminServer, url: string) {
  const res = await fetch(`${server.url}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return { status: res.status, text: await res.text() };
}

describe('POST /api/import', () => {
  it('imports a key added to the file, the pool leases it at once, and it is audited', async () => {
    const request = { provider: 'openai', model: 'gpt-special', estimatedTokens: 1 };
    expect((await container.pool.lease(request)).ok).toBe(false);
    appendFileSync(file, `KEY_3=${SECRETS[2]}\nKEY_3_MODEL=gpt-special\n`);

    const { status, text } = await post(withImport, '/api/import');
    expect(status, text).toBe(200);
    for (const secret of SECRETS) expect(text).not.toContain(secret.slice(0, 12));
    const { report } = JSON.parse(text) as { report: Record<string, unknown> };
    expect(report).toMatchObject({
      file,
      added: ['key_3'],
      // Three keys split 2 + 1: key_2 moves from the fallback account to the primary one.
      changed: ['key_2'],
      disabled: [],
      unchanged: ['key_1'],
      already_removed: 0,
    });

    const leased = await container.pool.lease(request);
    expect(leased.ok && leased.key.keyName).toBe('key_3');

    const audit = await container.db('ai_admin_actions').where({ action: 'import' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'api:open', key_name: null });
    expect(audit[0].details).toMatchObject({
      added: ['key_3'],
      changed: ['key_2'],
      unchanged: 1,
      via: 'open',
    });
    expect(JSON.stringify(audit[0].details)).not.toContain(SECRETS[2]!.slice(0, 12));
  });

  it('a second import of the same file changes nothing', async () => {
    const { status, text } = await post(withImport, '/api/import');
    expect(status).toBe(200);
    expect(JSON.parse(text).report).toMatchObject({ added: [], changed: [], disabled: [] });
  });

  it('refuses a body, and answers 503 where the process does not import', async () => {
    const res = await fetch(`${withImport.url}/api/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"dry_run":true}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/body/);
    const { status, text } = await post(without, '/api/import');
    expect(status).toBe(503);
    expect(JSON.parse(text).error.code).toBe('ACTIONS_UNAVAILABLE');
  });
});
