/**
 * The AI job contract: what any producer, in any language, may put on the queue,
 * and what a finished job returns. Validated once when a worker picks the job up.
 */
import { z } from 'zod';

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

export const aiJobDataSchema = z.object({
  provider: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a provider name such as "openai"')
    .transform((p) => p.toLowerCase())
    .optional(),
  model: z.string().min(1).optional(),
  messages: z.array(chatMessageSchema).min(1, 'must hold at least one message'),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
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
}

/** "messages.0.role: Invalid option: expected one of ..." — names the field, never echoes values. */
export function describeJobDataError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(job data)'}: ${issue.message}`)
    .join('; ');
}

export type JobDataCheck = { ok: true; data: ValidAiJobData } | { ok: false; message: string };

export function checkJobData(input: unknown): JobDataCheck {
  const parsed = aiJobDataSchema.safeParse(input);
  return parsed.success
    ? { ok: true, data: parsed.data }
    : { ok: false, message: `Invalid job data: ${describeJobDataError(parsed.error)}` };
}
