/**
 * The AI job contract: what any producer, in any language, may put on the queue,
 * and what a finished job returns. Validated once when a worker picks the job up.
 */
import { z } from 'zod';
import { CLIENT_NAME_PATTERN } from '../config/gateway-clients.js';
import type { FinishReason } from '../providers/types.js';

/**
 * Limits on what a producer may ask, each named in the failure: job data comes from any producer in
 * any language, and everything in it is held in Redis, read into a worker's memory, tokenised for the
 * reservation and sent to the provider. The prompt limit is a setting (AI_MAX_PROMPT_BYTES), passed
 * to checkJobData; the others are fixed.
 */
export const MAX_MESSAGES = 1000;
export const MAX_NAME_LENGTH = 200;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_MAX_TOKENS = 1_000_000;
/** Default of AI_MAX_PROMPT_BYTES: all message contents together, as UTF-8. */
export const DEFAULT_MAX_PROMPT_BYTES = 1024 * 1024;

/** Letters, digits, punctuation and symbols: no spaces, no control or invisible characters. */
const PRINTABLE_NAME = /^[\p{L}\p{N}\p{P}\p{S}]+$/u;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

const metadataSchema = z.record(z.string(), z.unknown()).transform((metadata, ctx) => {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(metadata));
  } catch {
    ctx.issues.push({ code: 'custom', message: 'must be JSON (no cycles, no BigInt)', input: metadata });
    return z.NEVER;
  }
  if (bytes > MAX_METADATA_BYTES) {
    ctx.issues.push({
      code: 'custom',
      message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON (is ${bytes})`,
      input: metadata,
    });
    return z.NEVER;
  }
  return metadata;
});

export const aiJobDataSchema = z.object({
  provider: z
    .string()
    .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a provider name such as "openai"')
    .transform((p) => p.toLowerCase())
    .optional(),
  model: z
    .string()
    .min(1)
    .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
    .regex(PRINTABLE_NAME, 'must be a model name: printable characters, no spaces')
    .optional(),
  messages: z
    .array(chatMessageSchema)
    .min(1, 'must hold at least one message')
    .max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`),
  maxTokens: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(MAX_MAX_TOKENS, `must be at most ${MAX_MAX_TOKENS}`)
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  metadata: metadataSchema.optional(),
  /** The application the job was run for (the front door's client name); kept in its usage rows. */
  client: z.string().regex(CLIENT_NAME_PATTERN, 'must be a client name: 1-64 of a-z 0-9 _ . -').optional(),
  /**
   * Stream the reply: the worker calls the provider streaming and passes the text on, as it comes,
   * through the Redis stream of this job (src/jobs/reply-stream.ts), for the front door to relay.
   * The job's result is the same either way.
   */
  stream: z.boolean().optional(),
});

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type AiJobData = z.input<typeof aiJobDataSchema>;
export type ValidAiJobData = z.output<typeof aiJobDataSchema>;

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One provider call made for a job, in order. `status` is the HTTP status, 0 when no response came. */
export interface CallAttempt {
  keyName: string;
  status: number;
  error: string | null;
}

export interface AiJobResult {
  content: string;
  provider: string;
  model: string;
  keyName: string;
  /** `estimated`: the provider reported no usable usage, so the tokens were counted locally. */
  usage: TokenUsage & { estimated: boolean };
  estimatedCost: number;
  attempts: CallAttempt[];
  /** Why the reply ended (`stop`, `length`, `content_filter`, `other`), when the provider said. */
  finishReason?: FinishReason;
}

/** "messages.0.role: Invalid option: expected one of ..." — names the field, never echoes values. */
export function describeJobDataError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(job data)'}: ${issue.message}`)
    .join('; ');
}

export type JobDataCheck = { ok: true; data: ValidAiJobData } | { ok: false; message: string };

export interface JobDataLimits {
  /** All message contents together, UTF-8 bytes (AI_MAX_PROMPT_BYTES). */
  readonly maxPromptBytes: number;
}

function promptBytes(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const m of messages) total += Buffer.byteLength(m.content);
  return total;
}

/** Validates job data against the contract and the limits (default: AI_MAX_PROMPT_BYTES's default). */
export function checkJobData(input: unknown, limits?: JobDataLimits): JobDataCheck {
  const parsed = aiJobDataSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, message: `Invalid job data: ${describeJobDataError(parsed.error)}` };
  }
  const maxBytes = limits?.maxPromptBytes ?? DEFAULT_MAX_PROMPT_BYTES;
  const bytes = promptBytes(parsed.data.messages);
  if (bytes > maxBytes) {
    return {
      ok: false,
      message: `Invalid job data: messages: content is ${bytes} bytes, over the limit of ${maxBytes} bytes (AI_MAX_PROMPT_BYTES)`,
    };
  }
  return { ok: true, data: parsed.data };
}
