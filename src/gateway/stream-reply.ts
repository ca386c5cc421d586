/**
 * Sends a streamed reply as server-sent events on fastify's raw response. The reply is hijacked
 * only once the first entry is in hand: until then every failure is an ordinary JSON error with its
 * HTTP status (the SDKs raise their usual error classes). A client that goes away stops the relay
 * at once; its job still runs to its end on the worker, which writes the call's usage row.
 */
import type { FastifyReply } from 'fastify';
import type { SseWriter } from './sse-frames.js';
import type { StreamRelay, StreamStart } from './stream-relay.js';

export async function sendEventStream(
  reply: FastifyReply,
  streams: StreamRelay,
  start: Extract<StreamStart, { ok: true }>,
  writer: SseWriter,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Proxies such as nginx buffer responses by default, which would hold the stream back.
    'x-accel-buffering': 'no',
  });
  // Nagle's algorithm would hold small frames back for the acknowledgement of the previous one.
  raw.socket?.setNoDelay(true);
  let gone = false;
  raw.on('close', () => {
    gone = true;
    start.subscription.close();
  });
  await streams.pump(start, writer, {
    write: (frames) => {
      if (!gone) raw.write(frames);
    },
    end: (frames) => {
      if (!gone) raw.end(frames);
    },
    gone: () => gone || raw.destroyed,
  });
  if (!gone && !raw.writableEnded) raw.end();
}
