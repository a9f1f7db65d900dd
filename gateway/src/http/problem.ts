/**
 * The one error type of the gateway. Every failure a client sees is a ProblemError
 * with a code from this catalogue; the error handler turns it into RFC 9457 problem
 * details. Codes are stable: clients match on `type`.
 */
export const problemCatalogue = {
  // The request itself breaks the contract or an order rule.
  'invalid-request': { status: 400, title: 'Invalid request' },
  'invalid-status-transition': { status: 400, title: 'Invalid status transition' },
  'order-not-cancellable': { status: 400, title: 'Order not cancellable' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  // Who is asking, and whether they may.
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  'invalid-credentials': { status: 401, title: 'Invalid credentials' },
  forbidden: { status: 403, title: 'Forbidden' },
  // Where, when and against what it arrived.
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'username-taken': { status: 409, title: 'Username taken' },
  'idempotency-key-in-flight': { status: 409, title: 'Idempotency key in flight' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused' },
  'client-throttled': { status: 429, title: 'Client throttled' },
  'too-many-login-failures': { status: 429, title: 'Too many login failures' },
  'account-slowed': { status: 429, title: 'Account slowed' },
  'auth-busy': { status: 429, title: 'Auth service busy' },
  'internal-error': { status: 500, title: 'Internal error' },
  'auth-service-unavailable': { status: 503, title: 'Auth service unavailable' },
  'database-unavailable': { status: 503, title: 'Database unavailable' },
} as const;

export type ProblemCode = keyof typeof problemCatalogue;

export const problemTypeBase = 'https://aletheia.gold/problems/';

export interface ProblemFieldError {
  path: string;
  message: string;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: {
      errors?: ProblemFieldError[];
      retryAfterSeconds?: number;
      /** Extra response headers, e.g. `Allow` on 405. */
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'ProblemError';
    this.status = problemCatalogue[code].status;
    this.title = problemCatalogue[code].title;
  }

  get type(): string {
    return problemTypeBase + this.code;
  }

  /** The RFC 9457 body a client sees, for the request path `instance`. */
  body(instance: string) {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      instance,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}
