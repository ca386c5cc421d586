/**
 * The gateway bench's front doors: this checkout's or another's (`--other`), in the bench process
 * (as `npm start` runs it) or in a process of its own as `npm run gateway` runs it
 * (`--gateway-process`): its CPU per request is then the front door's own, apart from the
 * workers' (whose CPU per job moves with the request rate, which on a shared machine the load sets).
 *
 * The process:
 * It prints `{"url": ...}` once listening, answers each `cpu` line on stdin with
 * `{"cpuUs": <its user + system CPU so far>}`, and closes when stdin ends.
 *
 * `node --import tsx bench/lib/gateway-process.ts <checkout> <env file> <env as JSON>`: the front
 * door is that checkout's (src/runtime/gateway-server.ts), on this checkout's container. With
 * GATEWAY_CPU_PROF_DIR set, the bench starts it with `--cpu-prof` into that directory.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { buildContainer, type Container } from '../../src/runtime/container.js';
import type { startGatewayServer } from '../../src/runtime/gateway-server.js';

export interface GatewayProcessArgs {
  readonly checkout: string;
  readonly file: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface FrontDoorUnderTest {
  readonly url: string;
  /** Its process's CPU (user + system) so far, µs; undefined in the bench's own process. */
  readonly cpuUs?: () => Promise<number>;
  close(): Promise<void>;
}

async function importGatewayServer(checkout: string): Promise<typeof startGatewayServer> {
  const server = path.join(path.resolve(checkout), 'src/runtime/gateway-server.ts');
  const module = (await import(pathToFileURL(server).href)) as {
    startGatewayServer: typeof startGatewayServer;
  };
  return module.startGatewayServer;
}

/** The front door of `checkout` on `container` (its workers, Redis, Postgres), in this process. */
export async function startFrontDoorHere(
  checkout: string,
  container: Container,
): Promise<FrontDoorUnderTest> {
  const start = await importGatewayServer(checkout);
  const gateway = await start(container, { port: 0 });
  return {
    url: gateway.url,
    async close() {
      for (const step of gateway.closeSteps) await step.close();
    },
  };
}

export async function startGatewayProcess({
  checkout,
  file,
  env,
}: GatewayProcessArgs): Promise<FrontDoorUnderTest> {
  const self = fileURLToPath(import.meta.url);
  // NODE_OPTIONS refuses --cpu-prof: a profile of the front door's process is asked for here.
  const profileDir = process.env.GATEWAY_CPU_PROF_DIR;
  const argv = [
    ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    '--import',
    'tsx',
    self,
    path.resolve(checkout),
    file,
    JSON.stringify(env),
  ];
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('the gateway process exited');
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const { url } = (await next()) as { url: string };
  return {
    url,
    async cpuUs() {
      child.stdin.write('cpu\n');
      return (await next()).cpuUs as number;
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [checkout, file, envJson] = process.argv.slice(2);
  const env = JSON.parse(envJson!) as Record<string, string>;
  const config = loadConfig({ file: file!, env, cwd: path.dirname(file!) });
  const container = await buildContainer(config, createLogger({ level: 'warn', name: 'bench-gateway' }));
  const gateway = await (await importGatewayServer(checkout!))(container, { port: 0 });
  process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'cpu') continue;
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system })}\n`);
  }
  for (const step of gateway.closeSteps) await step.close();
  await container.close();
}
