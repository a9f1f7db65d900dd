import { randomBytes } from 'node:crypto';

/** An answer from the gateway, its body parsed when it is JSON. */
export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface Account {
  username: string;
  password: string;
  tokens: Tokens;
  /** When the tokens were issued (performance.now()), to renew them before they expire. */
  loggedInAt: number;
}

export interface OrderBody {
  id: string;
  userId: string;
  status: string;
  orderNumber: string;
}

/** A purchase body valid under the contract. */
export function purchaseBody(quantity = '1.25'): string {
  return JSON.stringify({
    productType: 'GOLD_9999',
    quantity,
    deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
    recipientName: 'Kim Minji',
    contactNumber: '+82 10-1234-5678',
    postalCode: '06236',
  });
}

export function bearer(account: Account): string {
  return `Bearer ${account.tokens.accessToken}`;
}

/** A small client for setting up scenarios (autocannon drives the measured load). */
export class Api {
  private counter = 0;

  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      body: options.body,
      headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
    return { status: response.status, body, headers: response.headers } satisfies ApiResponse;
  }

  private async expect(status: number, what: string, response: Promise<ApiResponse>): Promise<ApiResponse> {
    const answer = await response;
    if (answer.status !== status) {
      throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer;
  }

  /** A fresh username valid under the contract (4–20 of [A-Za-z0-9_]). */
  uniqueUsername(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}_${randomBytes(3).toString('hex')}`.slice(0, 20);
  }

  async register(username: string, password: string): Promise<void> {
    await this.expect(
      204,
      `register ${username}`,
      this.call('POST', '/auth/register', { body: JSON.stringify({ username, password }) }),
    );
  }

  async login(username: string, password: string): Promise<Account> {
    const answer = await this.expect(
      200,
      `login ${username}`,
      this.call('POST', '/auth/login', { body: JSON.stringify({ username, password }) }),
    );
    const tokens = answer.body as Tokens;
    return { username, password, tokens, loggedInAt: performance.now() };
  }

  async newUser(prefix: string): Promise<Account> {
    const username = this.uniqueUsername(prefix);
    const password = `Pw-${randomBytes(6).toString('hex')}7`;
    await this.register(username, password);
    return this.login(username, password);
  }

  /** Logs the account in again when its access token is older than `maxAgeMs`. */
  async renew(account: Account, maxAgeMs: number): Promise<void> {
    if (performance.now() - account.loggedInAt < maxAgeMs) return;
    const fresh = await this.login(account.username, account.password);
    account.tokens = fresh.tokens;
    account.loggedInAt = fresh.loggedInAt;
  }

  async purchase(account: Account, idempotencyKey?: string): Promise<OrderBody> {
    const headers: Record<string, string> = { authorization: bearer(account) };
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const answer = await this.expect(
      201,
      'POST /orders/purchase',
      this.call('POST', '/orders/purchase', { body: purchaseBody(), headers }),
    );
    return answer.body as OrderBody;
  }

  async getJson(account: Account, path: string): Promise<unknown> {
    const answer = await this.expect(
      200,
      `GET ${path}`,
      this.call('GET', path, { headers: { authorization: bearer(account) } }),
    );
    return answer.body;
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inParallel<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
