/**
 * Traces over OTLP/HTTP, configured by the standard OTEL_* environment variables. Without an
 * endpoint no SDK is started: the job path then gets the API's no-op tracer, whose spans cost a
 * function call. The provider is not registered globally: the job path is handed its tracer and
 * passes parents explicitly, so an application that embeds aikeys keeps its own global SDK.
 */
import type { Tracer } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../core/logger.js';
import type { CloseStep } from '../core/close-step.js';

export const TRACER_NAME = 'aikeys';

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Sends the spans still buffered, then stops the exporter (last, after the workers stopped). */
  readonly closeStep: CloseStep;
}

/** The exporter sends JSON over HTTP; any other protocol asked for is reported, not silently ignored. */
const SUPPORTED_PROTOCOLS = new Set(['http/json']);

type Env = Readonly<Record<string, string | undefined>>;

/** Why tracing stays off, or null when it should start. */
export function tracingOffReason(env: Env): string | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'OTEL_SDK_DISABLED=true';
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return 'OTEL_TRACES_EXPORTER=none';
  if (!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() && !env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim())
    return 'neither OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor OTEL_EXPORTER_OTLP_ENDPOINT is set';
  return null;
}

function checkEndpoint(name: string, value: string | undefined): void {
  if (!value?.trim()) return;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`${name} must be an http(s) URL such as http://collector:4318, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name} must be an http(s) URL such as http://collector:4318, got "${value}"`);
}

export function startTracing(options: { env?: Env; serviceName: string; logger: Logger }): Tracing {
  // The OTEL_* variables are the OpenTelemetry SDK's, not aikeys settings: the exporter and the
  // batch processor read them from process.env themselves, so the decision to start reads the same.
  const env = options.env ?? process.env;
  const off = tracingOffReason(env);
  if (off !== null) {
    return {
      enabled: false,
      tracer: trace.getTracer(TRACER_NAME),
      closeStep: { name: 'tracing', close: async () => undefined },
    };
  }
  checkEndpoint('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  checkEndpoint('OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT);
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'] as const) {
    const protocol = env[name]?.trim();
    if (protocol && !SUPPORTED_PROTOCOLS.has(protocol))
      options.logger.warn(
        { setting: name, protocol },
        `${name}: only http/json is supported; spans are sent as http/json`,
      );
  }
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the process's own name.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  options.logger.info(
    { endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT },
    'tracing on: spans are exported over OTLP/HTTP',
  );
  return {
    enabled: true,
    tracer: provider.getTracer(TRACER_NAME),
    closeStep: { name: 'tracing', close: () => provider.shutdown() },
  };
}
