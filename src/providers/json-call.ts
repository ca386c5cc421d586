/**
 * One JSON request to a provider over `fetch`, as every plain (not streamed) chat call makes it.
 *
 * The official SDKs cost more CPU than the call itself at the pool's rates (their request building,
 * header merging and logging helpers measured about 130-350 µs a call against about 450 µs for a
 * whole job made with plain `fetch`), and aikeys uses none of what they add: retries are the job's
 * decision, timeouts are the call's own deadline, and replies are read as-is anyway. So a plain
 * call is a `fetch` with the provider's headers; streamed calls keep the SDKs' event parsers.
 *
 * What comes back is bounded and checked here: a body larger than MAX_REPLY_BYTES is refused
 * without being held (a stream read counted as it goes; an error status is still classified by its
 * status and headers), a 2xx that is not JSON is an unreadable reply, an error status is classified
 * with the provider's own words, and anything thrown (no connection, reset, the deadline) is a
 * no-response failure. Nothing thrown escapes.
 */
import type { Secret } from '../core/secret.js';
import { classifyHttpFailure, unreadableReply } from './classify.js';
import { startCallDeadline, type CallContext } from './call-deadline.js';
import type { ChatResult } from './types.js';

/** The largest reply read: a chat answer is kilobytes; anything near this is not one. */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;

export interface JsonRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

class ReplyTooLarge extends Error {}

/** The body's declared length (undici holds the body to it), or NaN when none was declared. */
const declaredLength = (response: Response) => Number(response.headers.get('content-length') ?? NaN);

/** The body as text, refused past `limit` bytes whether or not the server declared a length. */
async function boundedText(response: Response, declared: number, limit: number): Promise<string> {
  if (Number.isFinite(declared)) {
    if (declared > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw new ReplyTooLarge(`declared ${declared} bytes`);
    }
    // undici checks the body against its declared length.
    return response.text();
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ReplyTooLarge(`more than ${limit} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** The provider's own words in an error body: `error.message` (both formats) or `message`. */
function errorDetail(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 500);
  if (typeof body !== 'object' || body === null) return undefined;
  const outer = body as { message?: unknown; error?: unknown };
  const inner = typeof outer.error === 'object' && outer.error !== null ? outer.error : undefined;
  const message = (inner as { message?: unknown } | undefined)?.message ?? outer.message;
  return typeof message === 'string' ? message : undefined;
}

export async function callForJson(
  context: CallContext,
  request: JsonRequest,
  read: (reply: unknown) => ChatResult,
  limit = MAX_REPLY_BYTES,
): Promise<ChatResult> {
  const { provider, secret } = context;
  const deadline = startCallDeadline(context);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: JSON.stringify(request.body),
      signal: deadline.signal,
      redirect: 'error',
    });
    const declared = declaredLength(response);
    if (response.ok && declared <= limit) {
      // The common case (a length declared within the limit; NaN, none declared, is not), read the
      // cheapest way: undici parses the bytes without a string between.
      let reply: unknown;
      try {
        reply = await response.json();
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        return unreadableReply(
          provider,
          response.status,
          `body is not valid JSON (${error.message})`,
          secret,
        );
      }
      return read(reply);
    }
    let text: string;
    try {
      text = await boundedText(response, declared, limit);
    } catch (error) {
      if (!(error instanceof ReplyTooLarge)) throw error;
      // An error status still says what happened to the key (429: blocked for its Retry-After,
      // 401: disabled); only its body is left unread.
      const why = `reply too large (${error.message}, limit ${limit})`;
      if (response.ok) return unreadableReply(provider, response.status, why, secret);
      return classifyHttpFailure({
        provider,
        status: response.status,
        headers: response.headers,
        body: undefined,
        detail: why,
        secret,
        now: context.now(),
      });
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      const body = parsed.ok ? parsed.value : text;
      return classifyHttpFailure({
        provider,
        status: response.status,
        headers: response.headers,
        body,
        detail: errorDetail(body),
        secret,
        now: context.now(),
      });
    }
    if (!parsed.ok) {
      return unreadableReply(provider, response.status, `body is not valid JSON (${parsed.reason})`, secret);
    }
    return read(parsed.value);
  } catch (error) {
    return deadline.failureOf(error, `no response within ${context.callOptions.timeoutMs} ms`);
  } finally {
    deadline.clear();
  }
}

/** `Authorization: Bearer`, as OpenAI-format servers take a key. */
export function bearerHeaders(secret: Secret): Record<string, string> {
  return { authorization: `Bearer ${secret.reveal()}`, 'content-type': 'application/json' };
}
