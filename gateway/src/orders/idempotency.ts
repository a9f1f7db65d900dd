import { hash } from 'node:crypto';
import type { Knex } from 'knex';
import { uuidv7 } from '../../../common/src/uuid';
import { isDatabaseUnavailable } from '../../../common/src/database-errors';
import { fromDbTime, toDbTime } from '../../../common/src/db-time';
import { ProblemError } from '../http/problem';
import { execute, executeBatch, placeholders, selectRows, type Statement, type StatementOutcome } from './sql';
import { isUniqueViolation } from './sql-errors';
import type { OrderType } from './types';

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
  'update idempotency_keys set order_type = ?, fingerprint = ?, state = ?, claim_token = ?, invoice_id = ?,' +
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
  /** The id the key's order is written under: whoever holds the claim writes this order. */
  invoiceId: string;
}

export type ClaimOutcome =
  /** `alongside`: what the statements sent with the claim did, when the claim was a first use of the key. */
  { kind: 'claimed'; claim: Claim; alongside?: StatementOutcome[] } | { kind: 'replay'; invoiceId: string };

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
 * The unique index on (user_id, idempotency_key) makes exactly one concurrent claim win.
 * `alongside` (reads the create needs anyway) ride in the claim's round trip when the key
 * is new; otherwise they are not run and the caller runs them.
 */
export async function claimKey(db: Knex, use: KeyUse, now: Date, alongside: Statement[] = []): Promise<ClaimOutcome> {
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
      invoice_id: uuidv7(),
      created_at: at,
      updated_at: at,
    };
    const first = attempt === 0;
    const claim = { rowId: row.id, token, key: use.key, invoiceId: row.invoice_id as string };
    try {
      const outcomes = await executeBatch(db, [
        { sql: insertKeySql, bindings: keyColumns.map((column) => row[column]) },
        ...(first ? alongside : []),
      ]);
      return { kind: 'claimed', claim, alongside: first ? outcomes.slice(1) : undefined };
    } catch (error) {
      if (!isUniqueViolation(error)) {
        // The claim may have been stored before a statement along with it failed.
        await releaseAfterFailure(db, claim, error);
        throw error;
      }
    }
    const [existing] = await selectRows<IdempotencyKeyRow>(db, findKeySql, [use.userId, use.key]);
    if (!existing) continue; // released in the meantime: claim again
    const takeOver = async (invoiceId: string): Promise<ClaimOutcome | undefined> => {
      const takenOver = await execute(db, takeOverSql, [
        use.orderType,
        use.fingerprint,
        'IN_FLIGHT',
        token,
        invoiceId,
        at,
        at,
        existing.id,
        existing.claim_token,
        existing.state,
      ]);
      return takenOver > 0
        ? { kind: 'claimed', claim: { rowId: existing.id, token, key: use.key, invoiceId } }
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
 * Marks the key used by the claim's order: the statement to run in the transaction that
 * writes the order. Whichever holder of the claim stores the order completes the key (an
 * expired key's new claim names another order, and is left alone).
 */
export function completeClaimStatement(claim: Claim, at: string): Statement {
  return {
    sql: "update idempotency_keys set state = 'COMPLETED', updated_at = ? where id = ? and invoice_id = ? and state = 'IN_FLIGHT'",
    bindings: [at, claim.rowId, claim.invoiceId],
  };
}

/**
 * Gives a claim back after its create failed with `failure`, so that the client's retry
 * is not blocked. When the database is unreachable the release runs in the background:
 * it would wait out the same timeouts again while the client waits for its answer, and
 * if it fails too the claim lapses after its lease.
 */
export async function releaseAfterFailure(db: Knex, claim: Claim, failure: unknown): Promise<void> {
  const release = releaseClaim(db, claim).catch(() => undefined);
  if (!isDatabaseUnavailable(failure)) await release;
}

/** Gives a claim back after a failed create, so a retry is not blocked. */
export async function releaseClaim(db: Knex, claim: Claim): Promise<void> {
  await execute(db, "delete from idempotency_keys where id = ? and claim_token = ? and state = 'IN_FLIGHT'", [
    claim.rowId,
    claim.token,
  ]);
}
