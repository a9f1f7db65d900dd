import type { Request } from 'express';
import { requestIdOf } from '../http/request-id';

/** Who a call to the auth-service is made for: passed along as gRPC metadata. */
export interface Caller {
  requestId: string;
  /**
   * The client's address: the socket's peer, or what X-Forwarded-For names when the hop
   * in front is trusted (TRUST_PROXY); IPv4-mapped IPv6 written as IPv4.
   */
  clientAddress: string;
  /** The User-Agent header, sent on Login only (it is stored with the session). */
  userAgent?: string;
}

export function callerOf(req: Request, options: { userAgent?: boolean } = {}): Caller {
  const address = req.ip ?? '';
  const caller: Caller = {
    requestId: requestIdOf(req),
    clientAddress: address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address,
  };
  const userAgent = req.headers['user-agent'];
  if (options.userAgent && userAgent) caller.userAgent = userAgent;
  return caller;
}
