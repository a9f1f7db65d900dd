import { expect } from 'chai';
import fc from 'fast-check';
import type { Principal } from '../src/auth/principal';
import { ProblemError, type ProblemCode } from '../src/http/problem';
import { BusinessCalendar } from '../src/orders/business-calendar';
import { requestFingerprint } from '../src/orders/idempotency';
import { totalPrice, twoPlaces } from '../src/orders/money';
import { randomOrderNumber } from '../src/orders/order-number';
import { decideCancel, decideStatusChange, type OrderState } from '../src/orders/order-rules';
import { isCancellable, isForwardTransition } from '../src/orders/state-machine';
import type { OrderStatus, OrderType } from '../src/orders/types';

const statuses: OrderStatus[] = [
  'PENDING',
  'ORDER_COMPLETED',
  'PAYMENT_RECEIVED',
  'PAYMENT_SENT',
  'SHIPPED',
  'ITEM_RECEIVED',
  'CANCELLED',
];
const arrows: Record<OrderType, Array<[OrderStatus, OrderStatus]>> = {
  PURCHASE: [
    ['PENDING', 'ORDER_COMPLETED'],
    ['ORDER_COMPLETED', 'PAYMENT_RECEIVED'],
    ['PAYMENT_RECEIVED', 'SHIPPED'],
  ],
  SALE: [
    ['PENDING', 'ORDER_COMPLETED'],
    ['ORDER_COMPLETED', 'PAYMENT_SENT'],
    ['PAYMENT_SENT', 'ITEM_RECEIVED'],
  ],
};

const owner: Principal = { userId: 'owner', username: 'owner', role: 'USER', sessionId: 's1' };
const stranger: Principal = { userId: 'stranger', username: 'stranger', role: 'USER', sessionId: 's2' };
const admin: Principal = { userId: 'admin', username: 'admin', role: 'ADMIN', sessionId: 's3' };

function problemOf(action: () => unknown): ProblemCode | 'none' {
  try {
    action();
    return 'none';
  } catch (error) {
    if (error instanceof ProblemError) return error.code;
    throw error;
  }
}

describe('orders: money', () => {
  it('multiplies exactly and rounds half-up: 10.15 g at 105000.10 is 1065751.02', () => {
    expect(totalPrice('105000.10', twoPlaces(10.15))).to.equal('1065751.02');
    expect(totalPrice('105000.10', twoPlaces('10.15'))).to.equal('1065751.02');
  });

  it('keeps the largest order exact: 9999999.99 g at 99999999.99', () => {
    // (10^8 − 0.01)(10^7 − 0.01) = 999999998900000.0001, far beyond a double's 15–17 digits.
    expect(totalPrice('99999999.99', '9999999.99')).to.equal('999999998900000.00');
  });

  it('reads numbers and strings alike, always to two places', () => {
    expect([10, 10.5, '10', '10.50', 0.01, '0.1', 9999999.99].map(twoPlaces)).to.deep.equal([
      '10.00',
      '10.50',
      '10.00',
      '10.50',
      '0.01',
      '0.10',
      '9999999.99',
    ]);
  });

  it('rounds half-up at the third place only when the product has one (never via floats)', () => {
    expect(totalPrice('0.05', '0.10')).to.equal('0.01'); // 0.005 → 0.01
    expect(totalPrice('0.01', '0.01')).to.equal('0.00'); // 0.0001 → 0.00
    expect(totalPrice('1.10', '1.10')).to.equal('1.21'); // 1.1 × 1.1 is 1.2100000000000002 in floats
  });
});

describe('orders: state machine', () => {
  for (const orderType of ['PURCHASE', 'SALE'] as const) {
    it(`allows exactly the ${orderType} arrows`, () => {
      const allowed = statuses.flatMap((from) =>
        statuses.filter((to) => isForwardTransition(orderType, from, to)).map((to) => [from, to]),
      );
      expect(allowed).to.deep.equal(arrows[orderType]);
    });
  }

  it('cancels from PENDING, ORDER_COMPLETED, PAYMENT_RECEIVED and PAYMENT_SENT only', () => {
    expect(statuses.filter(isCancellable)).to.deep.equal([
      'PENDING',
      'ORDER_COMPLETED',
      'PAYMENT_RECEIVED',
      'PAYMENT_SENT',
    ]);
  });
});

describe('orders: who may do what (403 before 400)', () => {
  const order = (status: OrderStatus, orderType: OrderType = 'PURCHASE'): OrderState => ({
    userId: 'owner',
    orderType,
    status,
  });

  it('lets an ADMIN make every arrow and refuses every other status with 400', () => {
    for (const orderType of ['PURCHASE', 'SALE'] as const) {
      for (const from of statuses) {
        for (const to of statuses) {
          const valid = arrows[orderType].some(([a, b]) => a === from && b === to);
          const expected =
            to === 'CANCELLED'
              ? 'invalid-status-transition'
              : from === to || valid
                ? 'none'
                : 'invalid-status-transition';
          expect(
            problemOf(() => decideStatusChange(admin, order(from, orderType), to)),
            `${orderType} ${from}→${to}`,
          ).to.equal(expected);
        }
      }
    }
  });

  it('lets the owner only confirm; every other status is 403 even when it is no arrow at all', () => {
    expect(decideStatusChange(owner, order('PENDING'), 'ORDER_COMPLETED')).to.deep.equal({
      kind: 'apply',
      to: 'ORDER_COMPLETED',
    });
    expect(decideStatusChange(owner, order('ORDER_COMPLETED'), 'ORDER_COMPLETED')).to.deep.equal({ kind: 'unchanged' });
    expect(problemOf(() => decideStatusChange(owner, order('SHIPPED'), 'ORDER_COMPLETED'))).to.equal(
      'invalid-status-transition',
    );
    for (const to of statuses.filter((status) => status !== 'ORDER_COMPLETED')) {
      expect(problemOf(() => decideStatusChange(owner, order('PENDING'), to))).to.equal('forbidden');
      expect(problemOf(() => decideStatusChange(owner, order('SHIPPED'), to))).to.equal('forbidden');
    }
  });

  it("refuses another user's order with 403 whatever is asked", () => {
    for (const to of statuses)
      expect(problemOf(() => decideStatusChange(stranger, order('SHIPPED'), to))).to.equal('forbidden');
    expect(problemOf(() => decideCancel(stranger, order('SHIPPED')))).to.equal('forbidden');
    expect(problemOf(() => decideCancel(stranger, order('CANCELLED')))).to.equal('forbidden');
  });

  it('cancels from the cancellable states, is a no-op when cancelled, 400 after delivery', () => {
    for (const actor of [owner, admin]) {
      expect(decideCancel(actor, order('PENDING'))).to.deep.equal({ kind: 'apply', to: 'CANCELLED' });
      expect(decideCancel(actor, order('PAYMENT_RECEIVED'))).to.deep.equal({ kind: 'apply', to: 'CANCELLED' });
      expect(decideCancel(actor, order('PAYMENT_SENT', 'SALE'))).to.deep.equal({ kind: 'apply', to: 'CANCELLED' });
      expect(decideCancel(actor, order('CANCELLED'))).to.deep.equal({ kind: 'unchanged' });
      expect(problemOf(() => decideCancel(actor, order('SHIPPED')))).to.equal('order-not-cancellable');
      expect(problemOf(() => decideCancel(actor, order('ITEM_RECEIVED', 'SALE')))).to.equal('order-not-cancellable');
    }
  });
});

describe('orders: order numbers', () => {
  it('are P-/S-, the business day and 8 symbols of Crockford base 32', () => {
    const numbers = Array.from({ length: 2000 }, (_, i) => randomOrderNumber(i % 2 ? 'SALE' : 'PURCHASE', '20260131'));
    for (const [i, number] of numbers.entries()) {
      expect(number).to.match(new RegExp(`^${i % 2 ? 'S' : 'P'}-20260131-[0-9A-HJKMNP-TV-Z]{8}$`));
    }
    expect(new Set(numbers).size).to.equal(numbers.length);
    // Every symbol shows up: the 40 random bits are spread over the whole alphabet.
    expect(new Set(numbers.flatMap((number) => [...number.slice(11)])).size).to.equal(32);
  });
});

describe('orders: business days', () => {
  it('puts Asia/Seoul midnight at 15:00Z of the day before', () => {
    const seoul = new BusinessCalendar('Asia/Seoul');
    const { start, end } = seoul.dayRange('2026-01-31');
    expect([start.toISOString(), end.toISOString()]).to.deep.equal([
      '2026-01-30T15:00:00.000Z',
      '2026-01-31T15:00:00.000Z',
    ]);
    expect(seoul.dateStamp(new Date('2026-01-30T14:59:59.999Z'))).to.equal('20260130');
    expect(seoul.dateStamp(new Date('2026-01-30T15:00:00.000Z'))).to.equal('20260131');
  });

  it('follows DST: a 23-hour day in New York, and a Santiago day that starts at 01:00 (midnight is skipped)', () => {
    const newYork = new BusinessCalendar('America/New_York').dayRange('2026-03-08');
    expect([newYork.start.toISOString(), newYork.end.toISOString()]).to.deep.equal([
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ]);
    const santiago = new BusinessCalendar('America/Santiago');
    const { start } = santiago.dayRange('2026-09-06');
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/Santiago',
      dateStyle: 'short',
      timeStyle: 'long',
    });
    expect(local.format(start)).to.match(/^06\/09\/2026, 01:00:00/);
    expect(santiago.dateStamp(new Date(start.getTime() - 1))).to.equal('20260905');
  });

  it('gives every day in any zone its exact half-open range of instants', () => {
    const zones = [
      'Asia/Seoul',
      'UTC',
      'America/New_York',
      'Europe/London',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Chatham',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }),
        (zone, day) => {
          const calendar = new BusinessCalendar(zone);
          const date = day.toISOString().slice(0, 10);
          const stamp = date.replaceAll('-', '');
          const { start, end } = calendar.dayRange(date);
          expect(calendar.dateStamp(start)).to.equal(stamp);
          expect(calendar.dateStamp(new Date(end.getTime() - 1))).to.equal(stamp);
          expect(calendar.dateStamp(new Date(start.getTime() - 1)) < stamp).to.equal(true);
          expect(calendar.dateStamp(end) > stamp).to.equal(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches nothing for days a DATETIME(3) cannot hold', () => {
    const seoul = new BusinessCalendar('Asia/Seoul');
    const ancient = seoul.dayRange('0999-12-31');
    expect(ancient.start.getTime()).to.equal(ancient.end.getTime());
    const last = seoul.dayRange('9999-12-31');
    expect(last.start.toISOString()).to.equal('9999-12-30T15:00:00.000Z');
    expect(last.end.toISOString()).to.equal('9999-12-31T15:00:00.000Z');
  });
});

describe('orders: request fingerprints', () => {
  it('depend on values only, not on member order', () => {
    const a = requestFingerprint({ quantity: '10.00', productType: 'GOLD_999' });
    expect(requestFingerprint({ productType: 'GOLD_999', quantity: '10.00' })).to.equal(a);
    expect(requestFingerprint({ productType: 'GOLD_999', quantity: '10.01' })).not.to.equal(a);
    expect(a).to.match(/^[0-9a-f]{64}$/);
  });
});
