import http from 'node:http';
import net from 'node:net';

/** Every request of the campaign stays on the loopback interface. */
export const loopbackHost = '127.0.0.1';

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON; a string or Buffer is sent as is (bytes exactly). */
  body?: unknown;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
  durationMs: number;
}

/** A request that got no HTTP answer: refused, reset or timed out. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'refused' | 'reset' | 'other',
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function bodyBytes(body: unknown): { bytes?: Buffer; json: boolean } {
  if (body === undefined) return { json: false };
  if (Buffer.isBuffer(body)) return { bytes: body, json: false };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), json: false };
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), json: true };
}

function transportKind(error: NodeJS.ErrnoException): TransportError['kind'] {
  if (error.code === 'ECONNREFUSED') return 'refused';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code === 'UND_ERR_SOCKET') return 'reset';
  return 'other';
}

/**
 * A small HTTP/1.1 client bound to one loopback port, with a deadline on every request.
 * `localAddress` (another 127.0.0.0/8 address) makes it a client of its own to the gateway.
 */
export class HttpClient {
  readonly agent: http.Agent;
  private readonly localAddress: string | undefined;

  constructor(
    readonly port: number,
    options: { keepAlive?: boolean; maxSockets?: number; localAddress?: string } = {},
  ) {
    this.agent = new http.Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 16 });
    this.localAddress = options.localAddress;
  }

  get baseUrl(): string {
    return `http://${loopbackHost}:${this.port}`;
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const { bytes, json } = bodyBytes(request.body);
    const headers: Record<string, string | string[]> = { ...(request.headers ?? {}) };
    const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    if (json && !names.has('content-type')) headers['content-type'] = 'application/json';
    if (bytes && !names.has('content-length') && !names.has('transfer-encoding')) {
      headers['content-length'] = String(bytes.length);
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: loopbackHost,
          port: this.port,
          method: request.method,
          path: request.path,
          headers,
          agent: this.agent,
          localAddress: this.localAddress,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(new TransportError('reset', error.message, performance.now() - started)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: parseJson(text),
              durationMs: performance.now() - started,
            });
          });
        },
      );
      req.setTimeout(request.timeoutMs ?? 10_000, () => {
        req.destroy(new TransportError('timeout', `no answer within ${request.timeoutMs ?? 10_000} ms`, 0));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof TransportError) {
          reject(new TransportError(error.kind, error.message, performance.now() - started));
        } else {
          reject(new TransportError(transportKind(error), error.message, performance.now() - started));
        }
      });
      req.end(bytes);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Sends bytes exactly as given on a fresh connection (without half-closing it, which
 * would make the server abort the request) and reads the first answer: for requests a
 * well-behaved client refuses to produce (bad header bytes, broken framing).
 */
export function rawRequest(port: number, bytes: Buffer, timeoutMs = 5000): Promise<HttpResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: loopbackHost, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: () => HttpResponse) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new TransportError('timeout', `no answer within ${timeoutMs} ms`, performance.now() - started)),
    );
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (responseComplete(data))
        finish(() => ({ ...parseRawResponse(data), durationMs: performance.now() - started }));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (chunks.length > 0) return; // an answer arrived before the reset: 'close' keeps it
      fail(new TransportError(transportKind(error), error.message, performance.now() - started));
    });
    socket.on('close', () => {
      if (chunks.length === 0) {
        fail(new TransportError('reset', 'closed without an answer', performance.now() - started));
        return;
      }
      const data = Buffer.concat(chunks);
      finish(() => ({ ...parseRawResponse(data), durationMs: performance.now() - started }));
    });
  });
}

/** True once `data` holds a whole response (by Content-Length or the last chunk). */
function responseComplete(data: Buffer): boolean {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = data.subarray(0, headEnd).toString('latin1').toLowerCase();
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return data.length >= headEnd + 4 + Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return data.subarray(headEnd).includes('\r\n0\r\n\r\n');
  return false;
}

/** Parses the first HTTP/1.1 response in `data` (content-length, chunked or read-to-close). */
export function parseRawResponse(data: Buffer): Omit<HttpResponse, 'durationMs'> {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`not an HTTP response: ${JSON.stringify(data.subarray(0, 80).toString('latin1'))}`);
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`bad status line: ${statusLine}`);
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0) break;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  const text = body.toString('utf8');
  return { status: Number(match[1]), headers, text, json: parseJson(text) };
}
