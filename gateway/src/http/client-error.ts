import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { problemCatalogue, problemTypeBase } from './problem';

/**
 * Requests Node's HTTP parser refuses (bad header bytes, broken framing, oversized
 * headers, a request timeout) never reach Express. Answer them with problem details
 * like every other error, instead of Node's bare `400 Bad Request`, and close the
 * connection: after a framing error nothing more on it can be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const detail =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are too large.'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'The request was not received in time.'
        : 'The request is not valid HTTP/1.1.';
  const body = JSON.stringify({
    type: `${problemTypeBase}invalid-request`,
    title: problemCatalogue['invalid-request'].title,
    status: 400,
    detail,
    instance: '/',
  });
  socket.end(
    'HTTP/1.1 400 Bad Request\r\n' +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${randomUUID()}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}
