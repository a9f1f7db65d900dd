import { isTransactionConflict, isUniqueViolation } from '../../../common/src/database-errors';
import type { SqlDatabase, SqlRow, Statement } from '../../../common/src/sql/database';
import { nullableText, oneOf, placeholders, text } from '../../../common/src/sql/row';
import { findPricesStatement, pricesOf, type ProductPrices } from '../products/product-repository';
import { orderTypes, type OrderType, type ProductType } from './types';

/** A row of `idempotency_keys`. */
export interface KeyRecord {
  id: string;
  user_id: string;
  idempotency_key: string;
  order_type: OrderType;
  fingerprint: string;
  state: 'IN_FLIGHT' | 'COMPLETED';
  claim_token: string;
  invoice_id: string | null;
  created_at: string;
  updated_at: string;
}

/** The right to create the order for a key: held until completed or released. */
export interface Claim {
  rowId: string;
  token: string;
  key: string;
  /** The id the key's order is written under: whoever holds the claim writes this order. */
  invoiceId: string;
}

const keyColumns = [
  'id',
  'user_id',
  'idempotency_key',
  'order_type',
  'fingerprint',
  'state',
  'claim_token',
  'invoice_id',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof KeyRecord>;

const insertKeySql = `insert into idempotency_keys (${keyColumns.join(', ')}) values ${placeholders(keyColumns.length)}`;
const findKeySql = `select ${keyColumns.join(', ')} from idempotency_keys where user_id = ? and idempotency_key = ?`;
// A new claim replaces an expired or abandoned one, if nobody else replaced it first.
const takeOverSql =
  'update idempotency_keys set order_type = ?, fingerprint = ?, state = ?, claim_token = ?, invoice_id = ?,' +
  ' created_at = ?, updated_at = ? where id = ? and claim_token = ? and state = ?';

function keyOf(row: SqlRow): KeyRecord {
  return {
    id: text(row, 'id'),
    user_id: text(row, 'user_id'),
    idempotency_key: text(row, 'idempotency_key'),
    order_type: oneOf(orderTypes, row, 'order_type'),
    fingerprint: text(row, 'fingerprint'),
    state: oneOf({ IN_FLIGHT: true, COMPLETED: true }, row, 'state'),
    claim_token: text(row, 'claim_token'),
    invoice_id: nullableText(row, 'invoice_id'),
    created_at: text(row, 'created_at'),
    updated_at: text(row, 'updated_at'),
  };
}

/**
 * Marks the key used by the claim's order: run in the transaction that writes the order
 * (see OrderRepository.insert). Whichever holder of the claim stores the order completes
 * the key; an expired key's new claim names another order and is left alone.
 */
export function completeClaimStatement(claim: Claim, at: string): Statement {
  return {
    sql: "update idempotency_keys set state = 'COMPLETED', updated_at = ? where id = ? and invoice_id = ? and state = 'IN_FLIGHT'",
    params: [at, claim.rowId, claim.invoiceId],
  };
}

export type InsertClaimOutcome =
  /** `prices`: what the read sent along found (when one was asked for). */
  { inserted: true; prices: ProductPrices | undefined } | { inserted: false };

/** The rows of `idempotency_keys`: claims of keys by creates. */
export class IdempotencyKeyRepository {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Stores a first claim of a key, and in the same round trip reads the prices of the
   * product the create is for. `inserted: false` when the key already has a row (the
   * unique index on user and key decides between concurrent claims; on a multi-primary
   * cluster a claim written at the same time through another node aborts this one as a
   * conflict instead: the key is taken just the same).
   */
  async insertClaim(record: KeyRecord, productType: ProductType): Promise<InsertClaimOutcome> {
    try {
      const [, prices] = await this.db.batch([
        { sql: insertKeySql, params: keyColumns.map((column) => record[column]) },
        findPricesStatement(productType),
      ]);
      return { inserted: true, prices: pricesOf(prices.rows) };
    } catch (error) {
      if (isUniqueViolation(error) || isTransactionConflict(error)) return { inserted: false };
      throw error;
    }
  }

  async find(userId: string, key: string): Promise<KeyRecord | undefined> {
    const [row] = await this.db.query(findKeySql, [userId, key]);
    return row === undefined ? undefined : keyOf(row);
  }

  /** Replaces `existing` with a new claim, unless another claim replaced it first. */
  async takeOver(
    existing: KeyRecord,
    next: Pick<KeyRecord, 'order_type' | 'fingerprint' | 'claim_token' | 'created_at'> & { invoice_id: string },
  ): Promise<boolean> {
    const changed = await this.db.execute(takeOverSql, [
      next.order_type,
      next.fingerprint,
      'IN_FLIGHT',
      next.claim_token,
      next.invoice_id,
      next.created_at,
      next.created_at,
      existing.id,
      existing.claim_token,
      existing.state,
    ]);
    return changed > 0;
  }

  /** Gives a claim back, if it is still this holder's and its order was never stored. */
  async release(claim: Claim): Promise<void> {
    await this.db.execute("delete from idempotency_keys where id = ? and claim_token = ? and state = 'IN_FLIGHT'", [
      claim.rowId,
      claim.token,
    ]);
  }
}
