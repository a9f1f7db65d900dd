import { hash } from 'node:crypto';
import type { Knex } from 'knex';
import { uuidv7 } from '../../../common/src/uuid';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { ProblemError } from '../http/problem';
import { execute, placeholders, selectRows, type Statement } from './sql';
import { isUniqueViolation } from './sql-errors';
import type { OrderType } from './types';

/** Keys are honoured for at least this long; older rows are ignored and may be deleted. */
export const keyRetentionMs = 24 * 3600_000;

/**
 * A claim older than this whose order never appeared belongs to a request that died (its
 * process stopped between claiming and finishing). A new request may then take the key
 * over. This is safe even if the old request was only slow: its order is written only if
 * its claim is still its own (see `completeClaimStatement`).
 */
export const claimLeaseMs = 10_000;

/** Rare races (a claim released or taken over while we look) are retried this often. */
const maxClaimAttempts = 3;

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
] as const;
const insertKeySql = `insert into idempotency_keys (${keyColumns.join(', ')}) values ${placeholders(keyColumns.length)}`;
const findKeySql = 'select * from idempotency_keys where user_id = ? and idempotency_key = ?';
// A new claim replaces an expired or abandoned one, if nobody else replaced it first.
const takeOverSql =
  'update idempotency_keys set order_type = ?, fingerprint = ?, state = ?, claim_token = ?, invoice_id = null,' +
  ' created_at = ?, updated_at = ? where id = ? and claim_token = ? and state = ?';

interface IdempotencyKeyRow {
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

export interface KeyUse {
  userId: string;
  key: string;
  orderType: OrderType;
  /** `requestFingerprint` of the normalized body. */
  fingerprint: string;
}

/** The right to create the order for a key: held until completed or released. */
export interface Claim {
  rowId: string;
  token: string;
  key: string;
}

export type ClaimOutcome = { kind: 'claimed'; claim: Claim } | { kind: 'replay'; invoiceId: string };

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
 * - unused (or expired, or an abandoned claim): claimed by this request;
 * - used on another route or with another body: 422 idempotency-key-reused;
 * - its order exists: replay it;
 * - another request holds it right now: 409 idempotency-key-in-flight.
 * The unique index on (user_id, idempotency_key) makes exactly one concurrent claim win.
 */
export async function claimKey(db: Knex, use: KeyUse, now: Date): Promise<ClaimOutcome> {
  const at = toDbTime(now);
  for (let attempt = 0; attempt < maxClaimAttempts; attempt++) {
    const token = uuidv7();
    const row: IdempotencyKeyRow = {
      id: uuidv7(),
      user_id: use.userId,
      idempotency_key: use.key,
      order_type: use.orderType,
      fingerprint: use.fingerprint,
      state: 'IN_FLIGHT',
      claim_token: token,
      invoice_id: null,
      created_at: at,
      updated_at: at,
    };
    try {
      await execute(
        db,
        insertKeySql,
        keyColumns.map((column) => row[column]),
      );
      return { kind: 'claimed', claim: { rowId: row.id, token, key: use.key } };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const [existing] = await selectRows<IdempotencyKeyRow>(db, findKeySql, [use.userId, use.key]);
    if (!existing) continue; // released in the meantime: claim again
    const expired = now.getTime() - fromDbTime(existing.created_at).getTime() >= keyRetentionMs;
    const abandoned =
      existing.state === 'IN_FLIGHT' && now.getTime() - fromDbTime(existing.updated_at).getTime() >= claimLeaseMs;
    if (expired || abandoned) {
      const takenOver = await execute(db, takeOverSql, [
        use.orderType,
        use.fingerprint,
        'IN_FLIGHT',
        token,
        at,
        at,
        existing.id,
        existing.claim_token,
        existing.state,
      ]);
      if (takenOver > 0) return { kind: 'claimed', claim: { rowId: existing.id, token, key: use.key } };
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
    break;
  }
  throw new ProblemError(
    'idempotency-key-in-flight',
    'A request with this Idempotency-Key is still being processed; retry shortly.',
  );
}

/**
 * Marks the key used by this order only if the claim is still ours: the statement to run
 * inside the order's transaction (it writes nothing once another request took the key
 * over, and then the caller must roll back).
 */
export function completeClaimStatement(claim: Claim, invoiceId: string, at: string): Statement {
  return {
    sql: "update idempotency_keys set state = 'COMPLETED', invoice_id = ?, updated_at = ? where id = ? and claim_token = ? and state = 'IN_FLIGHT'",
    bindings: [invoiceId, at, claim.rowId, claim.token],
  };
}

/** Gives a claim back after a failed create, so a retry is not blocked. */
export async function releaseClaim(db: Knex, claim: Claim): Promise<void> {
  await execute(db, "delete from idempotency_keys where id = ? and claim_token = ? and state = 'IN_FLIGHT'", [
    claim.rowId,
    claim.token,
  ]);
}
