/**
 * Service settings (`AIKEYS_*`, the connection URLs, the HTTP address, logging): where a process
 * finds Redis, Postgres and its queue, and how it serves. One declaration each, as in
 * setting-declarations.ts, which joins them to the behaviour settings.
 */
import { adminToken, flag, MIN_ADMIN_TOKEN_LENGTH, proxyList } from './admin-settings.js';
import type { SettingDeclaration } from './setting-declaration.js';
import { gatewayClients } from './gateway-clients.js';
import { checked, text, url, wholeNumber } from './setting-types.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SERVICE_SETTINGS = [
  {
    name: 'REDIS_URL',
    field: 'redisUrl',
    group: 'service',
    type: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    description: 'Redis for the queue, leases and the usage stream.',
    reloadable: false,
  },
  {
    name: 'AIKEYS_REDIS_CLUSTER',
    field: 'redisCluster',
    group: 'service',
    type: { schema: flag(false), defaultText: 'false' },
    description:
      '`true`: `REDIS_URL` names one node of a Redis Cluster and the client finds the others. A deployment lives in the slot of its `AIKEYS_PREFIX` hash tag; see Scaling.',
    reloadable: false,
  },
  {
    name: 'DATABASE_URL',
    field: 'databaseUrl',
    group: 'service',
    type: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/aikeys'),
    description: 'Postgres; the database is created when missing.',
    reloadable: false,
  },
  {
    name: 'AIKEYS_PREFIX',
    field: 'prefix',
    group: 'service',
    type: text('{aikeys}'),
    description: 'Redis prefix of the queue and the lease state (keep the braces: a Redis Cluster hash tag).',
    reloadable: false,
  },
  {
    name: 'AIKEYS_QUEUE',
    field: 'queueName',
    group: 'service',
    type: checked(
      text('ai-jobs'),
      (name) => !name.includes(':'),
      'must not contain ":" (BullMQ reserves it as the key separator)',
    ),
    description: 'BullMQ queue name.',
    reloadable: false,
  },
  {
    name: 'HOST',
    field: 'host',
    group: 'service',
    type: text('127.0.0.1'),
    description:
      'Address the admin server binds; use 0.0.0.0 (containers) only together with `AIKEYS_ADMIN_TOKEN`.',
    reloadable: false,
  },
  {
    name: 'PORT',
    field: 'port',
    group: 'service',
    type: checked(wholeNumber(0, 3000), (port) => port <= 65_535, 'must be a port number (0-65535)'),
    description: 'Admin API and dashboard port.',
    reloadable: false,
  },
  {
    name: 'LOG_LEVEL',
    field: 'logLevel',
    group: 'service',
    type: checked(
      text('info'),
      (level) => (LOG_LEVELS as readonly string[]).includes(level),
      `must be one of ${LOG_LEVELS.join(', ')}`,
    ),
    description: `pino log level: ${LOG_LEVELS.join(', ')}.`,
    reloadable: true, // pino changes level on a live logger
  },
  {
    name: 'AIKEYS_ADMIN_TOKEN',
    field: 'adminToken',
    group: 'service',
    type: { schema: adminToken, defaultText: undefined },
    description: `Bearer token for the admin API and dashboard sign-in; at least ${MIN_ADMIN_TOKEN_LENGTH} characters (\`aikeys gen-key\` prints one).`,
    reloadable: false,
    secret: true,
    unset: 'open, on 127.0.0.1 only',
  },
  {
    name: 'AIKEYS_BOARD_WRITE',
    field: 'boardWrite',
    group: 'service',
    type: { schema: flag(false), defaultText: 'false' },
    description: 'Bull Board may retry, clean, pause or remove jobs (`true`); read-only otherwise.',
    reloadable: false,
  },
  {
    name: 'AIKEYS_TRUST_PROXY',
    field: 'trustProxy',
    group: 'service',
    type: { schema: proxyList, defaultText: 'loopback' },
    description:
      "Proxies whose X-Forwarded-* headers the admin server believes (names loopback, linklocal, uniquelocal, IPs or CIDR ranges): they decide the session cookie's Secure flag and the address failed sign-ins count against.",
    reloadable: false,
  },
  {
    name: 'AIKEYS_GATEWAY_TOKENS',
    field: 'gatewayClients',
    group: 'service',
    type: gatewayClients(),
    description:
      'Applications allowed through the front door (`/v1`), as `name:token,name2:token2`; tokens of at least 32 characters unless HOST is loopback.',
    reloadable: false,
    secret: true,
    unset: 'front door closed',
    example: 'my-app:<a random token of 32+ characters>',
  },
  {
    name: 'AIKEYS_GATEWAY_TIMEOUT_MS',
    field: 'gatewayTimeoutMs',
    group: 'service',
    type: wholeNumber(1, 120_000),
    description:
      'How long a front-door request waits for its job before answering 504 (or 429 while no key can serve) (ms).',
    reloadable: false,
  },
  {
    name: 'AIKEYS_GATEWAY_TRANSLATE',
    field: 'gatewayTranslate',
    group: 'service',
    type: { schema: flag(false), defaultText: 'false' },
    description:
      'POST /v1/messages may be served by OpenAI-format keys when no Anthropic-format key serves the model, translated both ways (`true`).',
    reloadable: false,
  },
] as const satisfies readonly SettingDeclaration[];
