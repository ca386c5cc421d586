/**
 * Streamed replies (`stream: true`) as server-sent events, in each provider's own framing, so the
 * official SDKs read them exactly as they read the real thing:
 * - OpenAI: `data: <chunk>` lines, `finish_reason` on the last text chunk, then (when the request
 *   asked `stream_options.include_usage`) a chunk with empty `choices` and the usage, then
 *   `data: [DONE]`; a failure mid-stream is a `data: {"error": ...}` line, as OpenAI sends it.
 * - Anthropic: `event:` + `data:` pairs: message_start (input tokens), content_block_start, one
 *   content_block_delta per piece, content_block_stop, message_delta (stop reason, output
 *   tokens), message_stop; a failure mid-stream is an `event: error` (overloaded_error).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SimulatedUsage, WireApi } from './wire.js';

export interface StreamedAnswer {
  readonly model: string;
  readonly content: string;
  /** Undefined: the stream carries no usage (a server that ignores include_usage). */
  readonly usage: SimulatedUsage | undefined;
  /** Fail after this many text pieces. */
  readonly breakAfter?: number;
  /** Pause between pieces, ms. */
  readonly pieceDelayMs: number;
}

/** The reply in pieces of one word each (its trailing space kept), as models stream roughly. */
export function piecesOf(content: string): string[] {
  return content.match(/\S+\s*|\s+/g) ?? [];
}

function openAiFrames(answer: StreamedAnswer, pieces: readonly string[]): string[] {
  const id = `chatcmpl-sim-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: answer.model, choices, ...extra })}\n\n`;
  const frames = [chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
  pieces.forEach((text, i) => {
    const last = i === pieces.length - 1;
    frames.push(chunk([{ index: 0, delta: { content: text }, finish_reason: last ? 'stop' : null }]));
  });
  if (pieces.length === 0) frames.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (answer.usage !== undefined) {
    const { promptTokens, completionTokens } = answer.usage;
    frames.push(
      chunk([], {
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      }),
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function anthropicFrames(answer: StreamedAnswer, pieces: readonly string[]): string[] {
  const event = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const usage = answer.usage;
  const frames = [
    event('message_start', {
      message: {
        id: `msg_sim_${randomUUID()}`,
        type: 'message',
        role: 'assistant',
        model: answer.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(usage === undefined ? {} : { usage: { input_tokens: usage.promptTokens, output_tokens: 1 } }),
      },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (const text of pieces) {
    frames.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }));
  }
  frames.push(
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      ...(usage === undefined ? {} : { usage: { output_tokens: usage.completionTokens } }),
    }),
    event('message_stop', {}),
  );
  return frames;
}

function failureFrame(api: WireApi): string {
  const message = 'The server had an error while streaming (simulated).';
  return api === 'anthropic'
    ? `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message } })}\n\n`
    : `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`;
}

/** Frames to send in order; a break replaces everything after the given number of text pieces. */
export function streamFrames(api: WireApi, answer: StreamedAnswer): string[] {
  const pieces = piecesOf(answer.content);
  const frames = api === 'anthropic' ? anthropicFrames(answer, pieces) : openAiFrames(answer, pieces);
  if (answer.breakAfter === undefined) return frames;
  // OpenAI: the role chunk, then pieces. Anthropic: message_start, content_block_start, then pieces.
  const head = 2 - (api === 'openai' ? 1 : 0) + answer.breakAfter;
  return [...frames.slice(0, head), failureFrame(api)];
}

/** Writes the frames, pausing between them; stops when the client goes away. */
export function sendStream(res: ServerResponse, api: WireApi, answer: StreamedAnswer): void {
  const frames = streamFrames(api, answer);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (answer.pieceDelayMs <= 0) {
    res.end(frames.join(''));
    return;
  }
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const write = (): void => {
    timer = undefined;
    if (res.destroyed) return;
    if (next >= frames.length) {
      res.end();
      return;
    }
    res.write(frames[next++]!);
    timer = setTimeout(write, answer.pieceDelayMs);
  };
  res.on('close', () => {
    if (timer !== undefined) clearTimeout(timer);
  });
  write();
}
