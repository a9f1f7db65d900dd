import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ProblemError, type ProblemCode } from './problem';

const reasons: Partial<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout' };

/** What the parser refused, as the problem a client is told. */
function problemOf(code: string | undefined): { code: ProblemCode; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'invalid-request', detail: 'The request headers are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // Node raises it for both bounds: the headers (`headersTimeout`) and the whole request (`requestTimeout`).
      return { code: 'request-timeout', detail: 'The request was not received in time.' };
    default:
      return { code: 'invalid-request', detail: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * Requests Node's HTTP parser refuses (bad header bytes, broken framing, oversized
 * headers) or gives up on (headers or body arriving too slowly) never reach Express.
 * Answer them with problem details like every other error, instead of Node's bare
 * status line, and close the connection: after a framing error or a timeout nothing
 * more on it can be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { code, detail } = problemOf(error.code);
  const problem = new ProblemError(code, detail);
  const status = problem.status;
  const body = JSON.stringify(problem.body('/'));
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status]}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${randomUUID()}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}
