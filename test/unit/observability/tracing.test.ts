/** Tracing starts only with an OTLP endpoint, and refuses an endpoint that is not a URL by name. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { startTracing, tracingOffReason } from '../../../src/observability/tracing.js';

describe('tracingOffReason', () => {
  it('is off without an endpoint, or when the SDK or the traces exporter is switched off', () => {
    expect(tracingOffReason({})).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT is set/);
    expect(tracingOffReason({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).not.toBeNull();
    expect(
      tracingOffReason({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBe('OTEL_SDK_DISABLED=true');
    expect(
      tracingOffReason({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBe('OTEL_TRACES_EXPORTER=none');
  });

  it('is on with either endpoint variable', () => {
    expect(tracingOffReason({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBeNull();
    expect(tracingOffReason({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBeNull();
  });
});

describe('startTracing', () => {
  it('starts no SDK without an endpoint: the tracer records nothing', async () => {
    const tracing = startTracing({ env: {}, serviceName: 't', logger: silentLogger });
    expect(tracing.enabled).toBe(false);
    expect(tracing.tracer.startSpan('x').isRecording()).toBe(false);
    await tracing.closeStep.close();
  });

  it('records spans with an endpoint', async () => {
    const tracing = startTracing({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
      serviceName: 't',
      logger: silentLogger,
    });
    expect(tracing.enabled).toBe(true);
    expect(tracing.tracer.startSpan('x').isRecording()).toBe(true);
    await tracing.closeStep.close();
  });

  it('names the variable and the expected form when the endpoint is not an http(s) URL', () => {
    expect(() =>
      startTracing({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
        serviceName: 't',
        logger: silentLogger,
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL such as http:\/\/collector:4318/);
  });
});
