import { v7 } from 'uuid';
import { randomBytesFromPool } from './random-pool';

let lastMsecs = -Infinity;
let sequence = 0;

/**
 * A new UUID v7, as uuid's own v7() makes it (time-ordered, and monotonic within this
 * process: ids of the same millisecond count up from a random start) but from pooled
 * random bytes: uuid's v7 asks the system for 16 fresh bytes on every call.
 */
export function uuidv7(): string {
  const random = randomBytesFromPool(16);
  const now = Date.now();
  if (now > lastMsecs) {
    // 31 random bits, as uuid seeds each new millisecond's counter.
    sequence = ((random[6] & 0x7f) << 24) | (random[7] << 16) | (random[8] << 8) | random[9];
    lastMsecs = now;
  } else {
    sequence = (sequence + 1) | 0;
    if (sequence === 0) lastMsecs += 1;
  }
  return v7({ random, msecs: lastMsecs, seq: sequence });
}
