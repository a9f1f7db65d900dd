import { expect } from 'chai';
import { validate, version } from 'uuid';
import { uuidv7 } from '../src/ids/uuid';

describe('uuidv7 (pooled randomness)', () => {
  it('makes valid, distinct version 7 UUIDs', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    for (const id of ids) {
      expect(validate(id), id).to.equal(true);
      expect(version(id)).to.equal(7);
    }
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('orders ids by creation, within a millisecond too', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    expect([...ids].sort()).to.deep.equal(ids);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const msecs = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(msecs)
      .to.be.at.least(before)
      .and.at.most(Date.now() + 1);
  });
});
