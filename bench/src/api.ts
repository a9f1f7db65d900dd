import { randomBytes } from 'node:crypto';
import http from 'node:http';

/** An answer from the gateway, its body parsed when it is JSON. */
export interface ApiResponse {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface Account {
  username: string;
  password: string;
  /**
   * The loopback address this user's calls come from (127.0.0.0/8): each user is a client
   * of its own, as customers are, so setting up many users never looks like one client's flood.
   */
  localAddress?: string;
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

/** One HTTP/1.1 request from `localAddress` (a loopback address) with keep-alive; the body as text. */
export function requestFrom(
  agent: http.Agent,
  url: URL,
  options: {
    method: string;
    body?: string;
    headers?: Record<string, string>;
    localAddress?: string;
    timeoutMs: number;
  },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        agent,
        localAddress: options.localAddress,
        headers: {
          ...(options.body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) }
            : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A small client for setting up scenarios (autocannon drives the measured load). */
export class Api {
  private counter = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(readonly baseUrl: string) {}

  async call(
    method: string,
    path: string,
    options: { body?: string; headers?: Record<string, string>; localAddress?: string } = {},
  ) {
    const response = await requestFrom(this.agent, new URL(path, this.baseUrl), {
      method,
      ...options,
      timeoutMs: 30_000,
    });
    let body: unknown = response.text;
    if (String(response.headers['content-type'] ?? '').includes('json') && response.text !== '') {
      body = JSON.parse(response.text);
    }
    return { status: response.status, body, headers: response.headers } satisfies ApiResponse;
  }

  close(): void {
    this.agent.destroy();
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

  async register(username: string, password: string, localAddress?: string): Promise<void> {
    await this.expect(
      204,
      `register ${username}`,
      this.call('POST', '/auth/register', { body: JSON.stringify({ username, password }), localAddress }),
    );
  }

  async login(username: string, password: string, localAddress?: string): Promise<Account> {
    const answer = await this.expect(
      200,
      `login ${username}`,
      this.call('POST', '/auth/login', { body: JSON.stringify({ username, password }), localAddress }),
    );
    const tokens = answer.body as Tokens;
    return { username, password, localAddress, tokens, loggedInAt: performance.now() };
  }

  /** A new user whose calls come from `localAddress` (see Account). */
  async newUser(prefix: string, localAddress?: string): Promise<Account> {
    const username = this.uniqueUsername(prefix);
    const password = `Pw-${randomBytes(6).toString('hex')}7`;
    await this.register(username, password, localAddress);
    return this.login(username, password, localAddress);
  }

  /** Logs the account in again when its access token is older than `maxAgeMs`. */
  async renew(account: Account, maxAgeMs: number): Promise<void> {
    if (performance.now() - account.loggedInAt < maxAgeMs) return;
    const fresh = await this.login(account.username, account.password, account.localAddress);
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
