/**
 * The one error type of the gateway. Every failure a client sees is a ProblemError
 * with a code from this catalogue; the error handler turns it into RFC 9457 problem
 * details. Codes are stable: clients match on `type`. Each code is listed under the
 * HTTP status it answers with; its title is the code in words, so the two never part.
 */
const problemCodesByStatus = {
  400: ['invalid-request', 'invalid-status-transition', 'order-not-cancellable'],
  401: ['unauthenticated', 'invalid-credentials'],
  403: ['forbidden'],
  404: ['not-found'],
  405: ['method-not-allowed'],
  408: ['request-timeout'],
  409: ['username-taken', 'idempotency-key-in-flight'],
  413: ['payload-too-large'],
  415: ['unsupported-media-type'],
  422: ['idempotency-key-reused'],
  429: ['client-throttled', 'too-many-login-failures', 'account-slowed', 'auth-busy'],
  500: ['internal-error'],
  503: ['auth-service-unavailable', 'database-unavailable'],
} as const;

export type ProblemCode = (typeof problemCodesByStatus)[keyof typeof problemCodesByStatus][number];

/** Every code of the catalogue with the status it answers with. */
export const problemStatuses: ReadonlyMap<ProblemCode, number> = new Map(
  Object.entries(problemCodesByStatus).flatMap(([status, codes]) =>
    codes.map((code) => [code, Number(status)] as const),
  ),
);

/** The code's status (every code has one: the map is built from the catalogue; 500 only satisfies the type). */
export function problemStatus(code: ProblemCode): number {
  return problemStatuses.get(code) ?? 500;
}

/** `idempotency-key-in-flight` → `Idempotency key in flight`. */
export function problemTitle(code: ProblemCode): string {
  const words = code.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

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
    this.status = problemStatus(code);
    this.title = problemTitle(code);
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
