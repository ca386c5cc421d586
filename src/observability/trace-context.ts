/**
 * W3C trace context (`traceparent`) carried in a job's `metadata.traceparent`, so a request is
 * followed from the application through the queue to the provider. Read and written here by hand
 * rather than with a registered propagator: the producer runs in the application's process, whose
 * global OpenTelemetry setup aikeys does not own.
 */
import { context, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';

// version 00: 2 hex version, 32 hex trace id, 16 hex span id, 2 hex flags (https://www.w3.org/TR/trace-context/).
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The span context a traceparent names; null when it is absent or not a valid version-00 value. */
export function parseTraceparent(value: unknown): SpanContext | null {
  if (typeof value !== 'string') return null;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return null;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

export function formatTraceparent(span: SpanContext): string {
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** The parent context for a job's spans: the producer's span when the job carries one. */
export function jobParentContext(metadata: unknown): Context {
  const carried =
    metadata !== null && typeof metadata === 'object'
      ? parseTraceparent((metadata as Record<string, unknown>).traceparent)
      : null;
  return carried ? trace.setSpanContext(ROOT_CONTEXT, carried) : ROOT_CONTEXT;
}

/** The active span's traceparent, for a producer to put into the job; undefined outside any span. */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpanContext(context.active());
  if (!span || !trace.isSpanContextValid(span)) return undefined;
  return formatTraceparent(span);
}
