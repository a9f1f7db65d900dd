import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from the system 4 KiB at a time: each crypto.randomBytes or
 * randomFillSync call is a getrandom system call (~10 µs here), a measurable share of a
 * request that makes several ids and an order number. The bytes are as random as the
 * system's; each is handed out once.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

/** `size` (at most 4096) fresh random bytes; a view that stays valid until the next call. */
export function randomBytesFromPool(size: number): Buffer {
  if (offset + size > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += size;
  return pool.subarray(offset - size, offset);
}
