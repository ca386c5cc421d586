/**
 * The W3C traceparent a job carries: read strictly (anything malformed starts a trace of its own
 * rather than joining a wrong one), written back in the same form.
 */
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  activeTraceparent,
  formatTraceparent,
  jobParentContext,
  parseTraceparent,
} from '../../../src/observability/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('reads a version-00 traceparent as a remote, sampled span context', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(TraceFlags.NONE);
  });

  it.each([
    ['absent', undefined],
    ['not a string', 42],
    ['another version', `01-${TRACE}-${SPAN}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['the all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['the all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['trailing fields', `00-${TRACE}-${SPAN}-01-extra`],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('writes back what it read', () => {
    const value = `00-${TRACE}-${SPAN}-01`;
    expect(formatTraceparent(parseTraceparent(value)!)).toBe(value);
  });
});

describe('jobParentContext', () => {
  it("makes the job's traceparent the parent, and a job without one a root", () => {
    const parent = trace.getSpanContext(
      jobParentContext({ traceparent: `00-${TRACE}-${SPAN}-01`, other: 1 }),
    );
    expect(parent).toMatchObject({ traceId: TRACE, spanId: SPAN });
    expect(trace.getSpanContext(jobParentContext({ traceparent: 'garbage' }))).toBeUndefined();
    expect(trace.getSpanContext(jobParentContext(undefined))).toBeUndefined();
    expect(jobParentContext(null)).toBe(ROOT_CONTEXT);
  });
});

// Inside a span: test/integration/producer-trace.test.ts (it needs a registered context manager).
describe('activeTraceparent', () => {
  it('is undefined outside any span', () => {
    expect(activeTraceparent()).toBeUndefined();
  });
});
