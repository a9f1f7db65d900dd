import { v7 as uuidv7 } from 'uuid';
import type { Knex } from 'knex';
import { toDbTime } from '../../common/src/db-time';
import { BusinessCalendar } from '../../gateway/src/orders/business-calendar';
import type { HistoryRecord as HistoryRow, InvoiceRecord as InvoiceRow } from '../../gateway/src/orders/order-records';
import type { BenchContext } from './context';
import { cpuTimeMs } from './proc-stats';
import type { LargeTable } from './scenarios/large-table';
import type { PurchaseLedger } from './scenarios/writes';
import type { PurchaseCheck } from './targets';

/** Crockford base 32, as order numbers use it. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const rowsPerInsert = 1000;
const businessTimeZone = 'Asia/Seoul';

/** Eight base-32 symbols of a sequence number: unique order-number suffixes without retries. */
function suffix(sequence: number): string {
  let text = '';
  for (let shift = 35; shift >= 0; shift -= 5) text += alphabet[Math.floor(sequence / 2 ** shift) % 32];
  return text;
}

/**
 * Grows `invoices` to `largeTableInvoices` rows spread evenly over the `largeTableDays`
 * business days before today, one user owning `largeTableUserInvoices` of them spread
 * over the whole range, the rest spread over many other users. Each row is a copy of a
 * real order the gateway created (so the seed matches what the gateway writes) with its
 * own time-ordered UUIDv7 (taken at its created_at, as the gateway would have), order
 * number and first history entry. Multi-row INSERTs straight into the tables.
 */
export async function seedLargeTable(ctx: BenchContext): Promise<LargeTable> {
  const { profile, api, ordersDb: db } = ctx;
  const started = performance.now();
  const owner = ctx.largeTableOwner;
  await api.renew(owner, 8 * 60 * 1000);
  const sample = await api.purchase(owner);
  const template = (await db<InvoiceRow>('invoices').where('id', sample.id).first()) as InvoiceRow;
  const [{ n: existing }] = (await db('invoices').count({ n: '*' })) as Array<{ n: string | number }>;
  const toInsert = Math.max(0, profile.largeTableInvoices - Number(existing));
  const ownerShare = Math.max(1, Math.floor(toInsert / (profile.largeTableUserInvoices - 1)));
  const others = Array.from({ length: Math.max(1, Math.floor(toInsert / 100)) }, () => uuidv7());

  const calendar = new BusinessCalendar(businessTimeZone);
  const today = calendar.dayRange(dayOf(new Date(), calendar));
  const end = today.start.getTime() - 1;
  const start = end - profile.largeTableDays * 86_400_000;
  const step = (end - start) / Math.max(1, toInsert);
  // A day a week back: old enough to be in the seeded range, so only seeded rows fall in it.
  const date = dayOf(new Date(today.start.getTime() - 7 * 86_400_000), calendar);
  const day = calendar.dayRange(date);
  let invoicesOnDate = 0;
  let ownerRows = 1;
  /** Orders per (user, order type): the seeded rows' share of invoice_counts (all PENDING). */
  const counts = new Map<string, number>();

  ctx.log(`seeding ${toInsert.toLocaleString('en-US')} invoices over ${profile.largeTableDays} days`);
  const insertBatch = async (batch: { invoices: InvoiceRow[]; history: HistoryRow[] }) => {
    await db.transaction(async (trx) => {
      await trx('invoices').insert(batch.invoices);
      await trx('invoice_status_history').insert(batch.history);
    });
  };
  let inFlight: Promise<void>[] = [];
  for (let index = 0; index < toInsert; index += rowsPerInsert) {
    const batch = { invoices: [] as InvoiceRow[], history: [] as HistoryRow[] };
    for (let row = index; row < Math.min(toInsert, index + rowsPerInsert); row += 1) {
      const at = Math.floor(start + row * step);
      const isOwner = row % ownerShare === 0 && ownerRows < profile.largeTableUserInvoices;
      if (isOwner) ownerRows += 1;
      if (at >= day.start.getTime() && at < day.end.getTime()) invoicesOnDate += 1;
      const userId = isOwner ? template.user_id : others[row % others.length];
      const dbTime = toDbTime(new Date(at));
      const orderType = row % 4 === 3 ? 'SALE' : 'PURCHASE';
      const countKey = `${userId}|${orderType}`;
      counts.set(countKey, (counts.get(countKey) ?? 0) + 1);
      const id = uuidv7({ msecs: at });
      batch.invoices.push({
        ...template,
        id,
        order_number: `${orderType === 'SALE' ? 'S' : 'P'}-${calendar.dateStamp(new Date(at))}-${suffix(row)}`,
        order_type: orderType,
        user_id: userId,
        idempotency_key: null,
        created_at: dbTime,
        updated_at: dbTime,
      });
      batch.history.push({
        id: uuidv7({ msecs: at }),
        invoice_id: id,
        from_status: null,
        to_status: 'PENDING',
        changed_by: userId,
        changed_at: dbTime,
        created_at: dbTime,
        updated_at: dbTime,
      });
    }
    inFlight.push(insertBatch(batch));
    // Two statements at a time keep MariaDB busy without queueing megabytes of SQL.
    if (inFlight.length >= 2) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    if ((index / rowsPerInsert) % 100 === 99) ctx.log(`  ${(index + rowsPerInsert).toLocaleString('en-US')} rows`);
  }
  await Promise.all(inFlight);
  await addToCounts(db, counts);
  // Fresh statistics, as a long-running table would have, so the optimizer sees the real sizes.
  await db.raw('analyze table invoices, invoice_status_history');
  const seedSeconds = (performance.now() - started) / 1000;
  ctx.log(`seeded in ${seedSeconds.toFixed(0)} s; the owner has ${ownerRows} orders, ${date} has ${invoicesOnDate}`);
  const settleSeconds = await waitForQuietDatabase(ctx);
  ctx.log(`the database settled (flushed what the seed left dirty) in ${settleSeconds.toFixed(0)} s`);
  return {
    invoices: Number(existing) + toInsert,
    ownerInvoices: ownerRows,
    date,
    invoicesOnDate,
    seedSeconds,
    settleSeconds,
  };
}

/**
 * Adds the seeded orders to invoice_counts, as the gateway keeps it for every order it
 * writes (list totals are sums of these rows), so totals stay right for seeded users.
 */
async function addToCounts(db: Knex, counts: Map<string, number>): Promise<void> {
  const at = toDbTime(new Date());
  const rows = [...counts.entries()].map(([key, total]) => {
    const [userId, orderType] = key.split('|');
    return [uuidv7(), userId, orderType, 'PENDING', total, at, at];
  });
  for (let index = 0; index < rows.length; index += rowsPerInsert) {
    const batch = rows.slice(index, index + rowsPerInsert);
    await db.raw(
      `insert into invoice_counts (id, user_id, order_type, status, total, created_at, updated_at) values ${batch
        .map(() => '(?, ?, ?, ?, ?, ?, ?)')
        .join(', ')} on duplicate key update total = total + values(total), updated_at = values(updated_at)`,
      batch.flat(),
    );
  }
}

/**
 * Waits until MariaDB has done the background work a million-row seed leaves behind
 * (flushing dirty pages, recalculating statistics): otherwise the first measurements pay
 * for it. Quiet means under a tenth of a core for three seconds in a row; at most 5 minutes
 * (20 s in smoke runs, whose seed is small).
 */
async function waitForQuietDatabase(ctx: BenchContext): Promise<number> {
  const pid = ctx.system.dbPid;
  const started = performance.now();
  if (pid === undefined) return 0;
  let quietSeconds = 0;
  const limitMs = ctx.profile.mode === 'full' ? 300_000 : 20_000;
  while (quietSeconds < 3 && performance.now() - started < limitMs) {
    const before = cpuTimeMs(pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    quietSeconds = cpuTimeMs(pid) - before < 100 ? quietSeconds + 1 : 0;
  }
  return (performance.now() - started) / 1000;
}

/** The business day (YYYY-MM-DD) of an instant. */
function dayOf(instant: Date, calendar: BusinessCalendar): string {
  const stamp = calendar.dateStamp(instant);
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`;
}

/**
 * Every 201 of the load against the stored orders: each created key must name exactly
 * one stored order, the one its 201 returned; no order may be stored under a key whose
 * only answers were failures.
 */
export async function verifyPurchases(ctx: BenchContext, ledger: PurchaseLedger): Promise<PurchaseCheck> {
  const rows = (await ctx
    .ordersDb('invoices')
    .where('idempotency_key', 'like', `${ledger.tag}-%`)
    .select('id', 'idempotency_key')) as Array<{ id: string; idempotency_key: string }>;
  const stored = new Map<string, string[]>();
  for (const row of rows) stored.set(row.idempotency_key, [...(stored.get(row.idempotency_key) ?? []), row.id]);
  const answered = ledger.created();
  let created = 0;
  let keysWithSeveralOrders = 0;
  let missingOrMismatched = 0;
  for (const [key, ids] of answered) {
    created += ids.size;
    const storedIds = stored.get(key) ?? [];
    if (ids.size > 1 || storedIds.length > 1) keysWithSeveralOrders += 1;
    else if (storedIds.length === 0 || storedIds[0] !== [...ids][0]) missingOrMismatched += 1;
  }
  let storedWithoutCreatedAnswer = 0;
  let storedUnanswered = 0;
  for (const key of stored.keys()) {
    if (answered.has(key)) continue;
    if (ledger.failed.has(key)) storedWithoutCreatedAnswer += 1;
    else storedUnanswered += 1;
  }
  let serverErrors = 0;
  for (const statuses of ledger.failed.values()) serverErrors += statuses.filter((status) => status >= 500).length;
  return {
    created,
    keysCreated: answered.size,
    keysWithSeveralOrders,
    missingOrMismatched,
    storedWithoutCreatedAnswer,
    storedUnanswered,
    serverErrors,
  };
}
