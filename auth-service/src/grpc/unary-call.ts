import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { callMetadata } from '../../../common/src/proto';
import type { ClientIdentifier, ClientIdentity } from '../admission/client-identity';
import { loggableError } from '../loggable-error';
import { errorStatus } from './error-status';

// Object.fromEntries types its keys as strings; the entries are the numeric codes of `status`.
const statusNames = Object.fromEntries(Object.entries(status).map(([name, code]) => [code, name])) as Record<
  number,
  string
>;

export interface CallContext {
  requestId: string | undefined;
  /** A logger for this call: its lines carry the method and the caller's request id. */
  logger(): Logger;
  /** Aborted when the caller cancels or its deadline passes. */
  signal(): AbortSignal;
  /** Who the caller is (see ClientIdentifier). */
  client(): ClientIdentity;
  /** Epoch ms by which the caller needs its answer: its deadline, or 10 s from now without one. */
  deadline(): number;
}

export interface UnaryCallHooks {
  /** Told when a call failed because the database is unreachable. */
  onDatabaseDown(): void;
  identifier: ClientIdentifier;
}

/** The deadline assumed for a call that sets none. */
const defaultDeadlineMs = 10_000;

/** Accepts a caller's request id only if it is short, printable ASCII: it goes into logs. */
function requestIdOf(call: ServerUnaryCall<unknown, unknown>): string | undefined {
  const value = call.metadata.get(callMetadata.requestId)[0];
  return typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value) ? value : undefined;
}

/**
 * Adapts an async function to a callback-style unary handler: exactly one callback,
 * domain errors mapped to their status codes, everything else INTERNAL, and one log
 * line per call (method, code, duration, request id; never the request itself).
 */
export function unaryCall<Request, Response>(
  method: string,
  logger: Logger,
  hooks: UnaryCallHooks,
  run: (request: Request, context: CallContext) => Promise<Response>,
) {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    const started = process.hrtime.bigint();
    // Only the call's metadata is read: its request and response types do not matter there.
    const requestId = requestIdOf(call as ServerUnaryCall<unknown, unknown>);
    const context: CallContext = {
      requestId,
      logger: () => logger.child({ method, requestId }),
      signal() {
        const controller = new AbortController();
        if (call.cancelled) controller.abort();
        else call.once('cancelled', () => controller.abort());
        return controller.signal;
      },
      client: () => hooks.identifier.identify(call.metadata, call.getPeer()),
      deadline() {
        const deadline = call.getDeadline();
        const ms = deadline instanceof Date ? deadline.getTime() : deadline;
        return Number.isFinite(ms) ? ms : Date.now() + defaultDeadlineMs;
      },
    };
    const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;

    run(call.request, context).then(
      (response) => {
        logger.info({ method, code: 'OK', durationMs: elapsedMs(), requestId }, 'grpc call');
        callback(null, response);
      },
      (error: unknown) => {
        const mapped = errorStatus(error);
        const line = { method, code: statusNames[mapped.code], durationMs: elapsedMs(), requestId };
        if (!mapped.expected) logger.error({ ...line, err: loggableError(error) }, 'grpc call failed');
        else if (mapped.code === status.UNAVAILABLE) logger.warn({ ...line, reason: mapped.details }, 'grpc call');
        else logger.info(line, 'grpc call');
        if (mapped.databaseDown) hooks.onDatabaseDown();
        callback({ code: mapped.code, details: mapped.details, metadata: mapped.metadata });
      },
    );
  };
}
