import { hash } from 'node:crypto';
import { isDatabaseUnavailable } from '../../../common/src/database-errors';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { ProblemError } from '../http/problem';
import { uuidv7 } from '../ids/uuid';
import type { ProductPrices } from '../products/product-repository';
import type { Claim, IdempotencyKeyRepository, KeyRecord } from './idempotency-keys';
import type { OrderType, ProductType } from './types';

/** Keys are honoured for at least this long; older rows are ignored and may be deleted. */
export const keyRetentionMs = 24 * 3600_000;

/**
 * A claim older than this whose order never appeared belongs to a request that died (its
 * process stopped between claiming and finishing). A new request with the same body may
 * then take the key over. This is safe even if the old request was only slow: both write
 * the order under the id fixed when the key was first claimed, so the primary key lets
 * only one of them store it.
 */
export const claimLeaseMs = 10_000;

/** Rare races (a claim released or taken over while we look) are retried this often. */
const maxClaimAttempts = 3;

export interface KeyUse {
  userId: string;
  key: string;
  orderType: OrderType;
  /** `requestFingerprint` of the normalized body. */
  fingerprint: string;
}

export type ClaimOutcome =
  /** `prices`: the product's prices, read along with a first claim of the key (else the caller reads them). */
  { kind: 'claimed'; claim: Claim; prices?: ProductPrices } | { kind: 'replay'; invoiceId: string };

/**
 * SHA-256 of a normalized create body: the caller passes values already normalized (text
 * trimmed, quantity as fixed two-place decimal), so `10` and `"10.00"` hash alike; keys
 * are sorted so member order does not matter.
 */
export function requestFingerprint(normalized: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(normalized)
      .sort()
      .map((name) => [name, normalized[name]]),
  );
  return hash('sha256', canonical, 'hex');
}

/**
 * Claims an idempotency key for a create, or says what the key already stands for:
 * - unused or expired: claimed by this request, for a new order id;
 * - used on another route or with another body: 422 idempotency-key-reused;
 * - its order exists: replay it;
 * - another request holds it right now: 409 idempotency-key-in-flight;
 * - its claim was abandoned (see claimLeaseMs): claimed by this request, for the same order id.
 * A first claim reads the prices of `productType` in the same round trip.
 */
export async function claimKey(
  keys: IdempotencyKeyRepository,
  use: KeyUse,
  now: Date,
  productType: ProductType,
): Promise<ClaimOutcome> {
  const at = toDbTime(now);
  for (let attempt = 0; attempt < maxClaimAttempts; attempt++) {
    const token = uuidv7();
    const invoiceId = uuidv7();
    const record: KeyRecord = {
      id: uuidv7(),
      user_id: use.userId,
      idempotency_key: use.key,
      order_type: use.orderType,
      fingerprint: use.fingerprint,
      state: 'IN_FLIGHT',
      claim_token: token,
      invoice_id: invoiceId,
      created_at: at,
      updated_at: at,
    };
    const claim: Claim = { rowId: record.id, token, key: use.key, invoiceId };
    let inserted;
    try {
      inserted = await keys.insertClaim(record, productType);
    } catch (error) {
      // The claim may have been stored before the read along with it failed.
      await releaseAfterFailure(keys, claim, error);
      throw error;
    }
    if (inserted.inserted) return { kind: 'claimed', claim, prices: inserted.prices };

    const existing = await keys.find(use.userId, use.key);
    if (!existing) continue; // released in the meantime: claim again
    const takeOver = async (orderId: string): Promise<ClaimOutcome | undefined> => {
      const next = {
        order_type: use.orderType,
        fingerprint: use.fingerprint,
        claim_token: token,
        created_at: at,
        invoice_id: orderId,
      };
      return (await keys.takeOver(existing, next))
        ? { kind: 'claimed', claim: { rowId: existing.id, token, key: use.key, invoiceId: orderId } }
        : undefined;
    };
    if (now.getTime() - fromDbTime(existing.created_at).getTime() >= keyRetentionMs) {
      const claimed = await takeOver(uuidv7());
      if (claimed) return claimed;
      continue;
    }
    if (existing.order_type !== use.orderType || existing.fingerprint !== use.fingerprint) {
      throw new ProblemError(
        'idempotency-key-reused',
        'This Idempotency-Key was already used with a different request body or route.',
      );
    }
    if (existing.state === 'COMPLETED' && existing.invoice_id !== null) {
      return { kind: 'replay', invoiceId: existing.invoice_id };
    }
    if (now.getTime() - fromDbTime(existing.updated_at).getTime() >= claimLeaseMs) {
      const claimed = await takeOver(existing.invoice_id ?? uuidv7());
      if (claimed) return claimed;
      continue;
    }
    break;
  }
  throw new ProblemError(
    'idempotency-key-in-flight',
    'A request with this Idempotency-Key is still being processed; retry shortly.',
  );
}

/**
 * Gives a claim back after its create failed with `failure`, so that the client's retry
 * is not blocked. When the database is unreachable the release runs in the background:
 * it would wait out the same timeouts again while the client waits for its answer, and
 * if it fails too the claim lapses after its lease.
 */
export async function releaseAfterFailure(
  keys: IdempotencyKeyRepository,
  claim: Claim,
  failure: unknown,
): Promise<void> {
  const release = keys.release(claim).catch(() => undefined);
  if (!isDatabaseUnavailable(failure)) await release;
}
