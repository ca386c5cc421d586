/**
 * Each /api route declares its input and its answer once, as zod schemas; the JSON schemas fastify
 * and the OpenAPI document (/api/docs) need are derived from them here, so the documentation cannot
 * drift from what the route checks and sends.
 *
 * Input is checked by zod in the route (`parseInput`), not by fastify's ajv: zod's messages name the
 * field and the limit, and one checker means one set of rules. The /api scope therefore installs a
 * validator that accepts everything (`acceptAll`), and the querystring/params/body schemas are there
 * for the document. Answers are serialized through their JSON schema (fast-json-stringify), which
 * sends only declared properties: a field added to a row by a store query never reaches a client
 * unless its schema names it.
 */
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { validationError } from './errors.js';

export type JsonSchema = Record<string, unknown>;

/** The JSON schema of a zod schema, draft-07 (what fastify's ajv and fast-json-stringify read). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    // Types JSON cannot carry (a Date, a transform) are documented as their JSON form by the route.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** `{ error: { code, message } }`, every error of the admin server. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. VALIDATION_FAILED, KEY_NOT_FOUND'),
      message: z.string().describe('What went wrong and what to do, for a person'),
    }),
  })
  .describe('Error');

/**
 * An object whose every property passes as it is: for parts of an answer another module owns the
 * shape of (the health `config` block), so that nothing of it is dropped by the serializer.
 */
export const OPEN_OBJECT_OR_NULL: JsonSchema = { type: ['object', 'null'], additionalProperties: true };

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly querystring?: z.ZodType;
  readonly params?: z.ZodType;
  readonly body?: z.ZodType;
  /** The 2xx answer; error answers are `ErrorSchema`. */
  readonly response: z.ZodType | JsonSchema;
}

function isZod(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

/** The fastify route schema of a route: its inputs as the document shows them, its answers. */
export function routeSchema(doc: RouteDoc): FastifySchema {
  const error = jsonSchemaOf(ErrorSchema);
  return {
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    tags: [...doc.tags],
    ...(doc.querystring ? { querystring: jsonSchemaOf(doc.querystring, 'input') } : {}),
    ...(doc.params ? { params: jsonSchemaOf(doc.params, 'input') } : {}),
    ...(doc.body ? { body: jsonSchemaOf(doc.body, 'input') } : {}),
    response: {
      200: isZod(doc.response) ? jsonSchemaOf(doc.response) : doc.response,
      '4xx': error,
      '5xx': error,
    },
  } as FastifySchema;
}

/** `value` checked by `schema`, or a 400 VALIDATION_FAILED naming `where.field` and the rule. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationError(parsed.error, where);
  return parsed.data;
}

/** The /api scope's validator: accepts the input as it is (the route checks it with zod). */
export function acceptAll(): (data: unknown) => boolean {
  return () => true;
}
