/**
 * Errors in the provider's own shape and status, so an official SDK raises the error class an
 * application already handles (AuthenticationError, RateLimitError, ...):
 * OpenAI `{ error: { message, type, code } }`, Anthropic `{ type: 'error', error: { type, message } }`.
 */
export type WireFormat = 'openai' | 'anthropic';

/** What went wrong, independent of the format it is told in. */
export type GatewayErrorKind =
  | 'invalid_request'
  | 'unauthorized'
  | 'not_found'
  | 'no_route'
  | 'too_large'
  | 'no_key'
  | 'upstream_failed'
  | 'timeout'
  | 'unavailable';

export interface GatewayError {
  readonly kind: GatewayErrorKind;
  readonly status: number;
  readonly message: string;
  /** Seconds, sent as Retry-After. */
  readonly retryAfterSeconds?: number;
}

const OPENAI_TYPE: Readonly<Record<GatewayErrorKind, { type: string; code: string }>> = {
  invalid_request: { type: 'invalid_request_error', code: 'invalid_request' },
  unauthorized: { type: 'invalid_request_error', code: 'invalid_api_key' },
  not_found: { type: 'invalid_request_error', code: 'model_not_found' },
  no_route: { type: 'invalid_request_error', code: 'unknown_url' },
  too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  no_key: { type: 'rate_limit_error', code: 'no_key_available' },
  upstream_failed: { type: 'api_error', code: 'upstream_failed' },
  timeout: { type: 'api_error', code: 'timeout' },
  unavailable: { type: 'api_error', code: 'unavailable' },
};

const ANTHROPIC_TYPE: Readonly<Record<GatewayErrorKind, string>> = {
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  not_found: 'not_found_error',
  no_route: 'not_found_error',
  too_large: 'request_too_large',
  no_key: 'rate_limit_error',
  upstream_failed: 'api_error',
  timeout: 'timeout_error',
  unavailable: 'overloaded_error',
};

export function gatewayError(
  kind: GatewayErrorKind,
  status: number,
  message: string,
  retryAfterSeconds?: number,
): GatewayError {
  return retryAfterSeconds === undefined
    ? { kind, status, message }
    : { kind, status, message, retryAfterSeconds };
}

export function errorBodyFor(format: WireFormat, error: GatewayError): object {
  if (format === 'anthropic') {
    return { type: 'error', error: { type: ANTHROPIC_TYPE[error.kind], message: error.message } };
  }
  const { type, code } = OPENAI_TYPE[error.kind];
  return { error: { message: error.message, type, code, param: null } };
}
