/**
 * A simulated AI provider over real HTTP, for tests, the demo and the pipeline benchmark: OpenAI's
 * `POST /v1/chat/completions` and Anthropic's `POST /v1/messages`, answering every key by the rules
 * in key-behaviour.ts (what each answer is: answers.ts).
 *
 * node:http rather than fastify: one handler, no routing or schema layer to pay for per request.
 * Keys are held only in memory (per-key counters); logs and the stats snapshot show them masked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../core/logger.js';
import { createAnswerer, type Answer, type RecordedRequest } from './answers.js';
import type { KeyBehaviour } from './key-behaviour.js';
import { seededRandom } from './rng.js';
import { createStats, type SimulatorStats } from './stats.js';
import { sendStream } from './stream-wire.js';
import { errorBody, type WireApi } from './wire.js';

export type { RecordedRequest } from './answers.js';

export interface SimulatedProviderOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Added to every answer. */
  readonly latencyMs?: number;
  /** Up to this much more, uniformly, drawn from the simulator's random generator (started from `seed`). */
  readonly jitterMs?: number;
  readonly seed?: number;
  /** Exact key -> behaviour; wins over the key's prefix. */
  readonly rules?: Readonly<Record<string, KeyBehaviour>>;
  readonly tokenCounting?: 'exact' | 'approx';
  /** Keep every parsed request in `requests` (memory grows: tests only). */
  readonly recordRequests?: boolean;
  readonly logger?: Logger;
}

export interface SimulatedProvider {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** What to set as an OpenAI-format provider's base URL: `<url>/v1`. */
  readonly openaiBaseUrl: string;
  /** What to set as an Anthropic-format provider's base URL: `<url>` (the SDK adds `/v1/messages`). */
  readonly anthropicBaseUrl: string;
  readonly stats: SimulatorStats;
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

function apiFor(method: string | undefined, path: string): WireApi | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/chat/completions' || path === '/chat/completions') return 'openai';
  if (path === '/v1/messages' || path === '/messages') return 'anthropic';
  return undefined;
}

function keyOf(req: IncomingMessage, api: WireApi): string {
  const header = req.headers['x-api-key'];
  if (api === 'anthropic' && typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSimulatedProvider(
  options: SimulatedProviderOptions = {},
): Promise<SimulatedProvider> {
  const logger = options.logger ?? silentLogger;
  const latencyMs = options.latencyMs ?? 0;
  const jitterMs = options.jitterMs ?? 0;
  const random = seededRandom(options.seed ?? 1);
  const stats = createStats();
  const requests: RecordedRequest[] = [];
  const decide = createAnswerer({
    random,
    rules: options.rules ?? {},
    tokenCounting: options.tokenCounting ?? 'exact',
    ...(options.recordRequests === true ? { record: (r: RecordedRequest) => requests.push(r) } : {}),
  });

  function send(res: ServerResponse, key: string, answer: Answer, api: WireApi): void {
    if (answer.stream !== undefined) {
      sendStream(res, api, answer.stream);
      stats.response(key, answer.status);
      return;
    }
    const text = answer.raw ?? JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...answer.headers,
    });
    res.end(text);
    stats.response(key, answer.status);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && (path === '/health' || path === '/')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    const api = apiFor(req.method, path);
    const body = await readBody(req);
    if (api === undefined) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify(errorBody('openai', 404, `No route ${req.method} ${path}`, null)));
      return;
    }
    const key = keyOf(req, api);
    stats.request(key);
    let answer: Answer;
    if (key === '') {
      answer = { status: 401, body: errorBody(api, 401, 'No API key provided.', 'invalid_api_key') };
    } else if (body === undefined) {
      answer = { status: 413, body: errorBody(api, 400, 'Request too large.', 'request_too_large') };
    } else {
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        payload = undefined;
      }
      answer =
        typeof payload === 'object' && payload !== null
          ? decide(api, key, payload as Record<string, unknown>)
          : { status: 400, body: errorBody(api, 400, 'The body is not valid JSON.', 'invalid_json') };
    }

    const delay = latencyMs + (jitterMs > 0 ? random() * jitterMs : 0) + (answer.extraDelayMs ?? 0);
    if (delay <= 0) {
      send(res, key, answer, api);
      return;
    }
    // A client that gives up (timeout) closes the socket: drop the answer and its timer.
    const timer = setTimeout(() => send(res, key, answer, api), delay);
    res.on('close', () => clearTimeout(timer));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'simulated provider failed a request',
      );
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  logger.info({ url, latencyMs, jitterMs }, 'simulated provider listening');

  return {
    url,
    port,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    stats,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
