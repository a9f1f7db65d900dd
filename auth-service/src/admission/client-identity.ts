import { timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import ipaddr from 'ipaddr.js';
import { callMetadata } from '../../../common/src/proto';

/** Every caller on a unix socket is one client: the socket has no address to tell them apart. */
export const unixSocketClient = 'unix-socket';

export interface ClientIdentity {
  /** The client's address (IPv4-mapped IPv6 as IPv4), or `unix-socket`. */
  address: string;
  /**
   * The key admission and failure counting use: an IPv4 address, an IPv6 /64 prefix (one
   * subscriber's network: an attacker rotating addresses inside it stays one client), or
   * `unix-socket`.
   */
  key: string;
  /** True when the gateway vouched for the address; false when it is the call's own peer. */
  viaGateway: boolean;
  /** The client's User-Agent as the gateway saw it (Login only), for the session row. */
  userAgent: string | null;
}

/**
 * An address and its admission key: IPv4-mapped IPv6 becomes IPv4, and an IPv6 key is
 * its /64. Null when the text is no IP address.
 */
export function clientOf(text: string): { address: string; key: string } | null {
  if (!ipaddr.isValid(text)) return null;
  const parsed = ipaddr.process(text);
  const address = parsed.toString();
  if (parsed.kind() === 'ipv4') return { address, key: address };
  return { address, key: `${ipaddr.IPv6.networkAddressFromCIDR(`${address}/64`).toString()}/64` };
}

/** grpc-js names a TCP peer `address:port` (IPv6 without brackets); a unix-socket peer has no address. */
function peerClient(peer: string): { address: string; key: string } {
  const withoutPort = peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return clientOf(withoutPort) ?? { address: unixSocketClient, key: unixSocketClient };
}

function firstText(metadata: Metadata, key: string): string | null {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : null;
}

/** A header value fit for a database column and a log line: printable, at most 255 characters. */
function cleanUserAgent(value: string | null): string | null {
  if (value === null) return null;
  const printable = value.replace(/[^\x20-\x7e]/g, '').slice(0, 255);
  return printable === '' ? null : printable;
}

/**
 * Decides who the caller of an RPC is. The gateway's word (`x-client-address`) counts only
 * with the shared secret, compared in constant time: any other process that reaches the
 * port is identified by its own peer address, and gets the same admission and counting.
 */
export class ClientIdentifier {
  private readonly secret: Buffer;

  constructor(gatewaySecret: string) {
    this.secret = Buffer.from(gatewaySecret, 'utf8');
  }

  identify(metadata: Metadata, peer: string): ClientIdentity {
    if (this.fromGateway(metadata)) {
      const client = clientOf(firstText(metadata, callMetadata.clientAddress) ?? '');
      if (client !== null) {
        return {
          ...client,
          viaGateway: true,
          userAgent: cleanUserAgent(firstText(metadata, callMetadata.clientUserAgent)),
        };
      }
    }
    return { ...peerClient(peer), viaGateway: false, userAgent: null };
  }

  private fromGateway(metadata: Metadata): boolean {
    const offered = Buffer.from(firstText(metadata, callMetadata.gatewaySecret) ?? '', 'utf8');
    // timingSafeEqual needs equal lengths; comparing the secret with itself keeps the time equal.
    const same = timingSafeEqual(offered.length === this.secret.length ? offered : this.secret, this.secret);
    return same && offered.length === this.secret.length;
  }
}
