/**
 * What every official-client provider does around one streamed request (the streaming twin of
 * sdk-call.ts): the same deadline joined to the caller's signal, every event handed to a
 * format-specific reader, and any thrown SDK error turned into a classified failure.
 *
 * A stream that fails before its first piece of text is an ordinary failure (the job retries it on
 * another key: nothing reached the client). After the first piece the text is already on its way,
 * so the failure carries `partial`: what was sent and the tokens paid for, counted locally since a
 * broken stream reports no usage. The response status was 200 then, and the row says so.
 */
import { startCallDeadline, type CallContext } from './call-deadline.js';
import type { ChatRequest, ChatResult } from './types.js';
import { estimatedUsage } from './usage-check.js';

/** Reads one wire format's stream events; calls the delta listener itself. */
export interface StreamEventReader {
  take(event: unknown): void;
  /** Text passed on so far. */
  readonly content: string;
  /** Whether any text (or the end) was passed on: a failure after this is not retried. */
  readonly started: boolean;
  /** The result once the stream ended normally. */
  finish(): ChatResult;
}

export async function streamThroughSdk(
  context: CallContext & { readonly request: ChatRequest },
  open: (requestOptions: { signal?: AbortSignal }) => Promise<AsyncIterable<unknown>>,
  reader: StreamEventReader,
): Promise<ChatResult> {
  const deadline = startCallDeadline(context);
  try {
    const events = await open({ signal: deadline.signal });
    for await (const event of events) reader.take(event);
    return reader.finish();
  } catch (error) {
    const failure = deadline.failureOf(error, `no complete reply within ${context.callOptions.timeoutMs} ms`);
    if (!reader.started) return failure;
    return {
      ...failure,
      status: 200,
      message: `stream broke after its first chunk: ${failure.message}`,
      partial: {
        content: reader.content,
        usage: estimatedUsage(context.request.messages, reader.content),
      },
    };
  } finally {
    deadline.clear();
  }
}
