import { expect } from 'chai';
import { fromDbTime, fromDbTimeIso, toDbTime } from '../src/db-time';

describe('db-time', () => {
  it('round-trips an instant through the stored form', () => {
    const instant = new Date('2026-03-01T23:59:59.007Z');
    expect(toDbTime(instant)).to.equal('2026-03-01 23:59:59.007');
    expect(fromDbTime(toDbTime(instant)).getTime()).to.equal(instant.getTime());
  });

  it('gives the ISO form of the stored form, as Date would', () => {
    for (const stored of ['2026-03-01 23:59:59.007', '1999-12-31 00:00:00.000', '2024-02-29 12:34:56.789']) {
      expect(fromDbTimeIso(stored)).to.equal(fromDbTime(stored).toISOString());
    }
  });

  it('normalizes other forms through Date', () => {
    expect(fromDbTimeIso('2026-03-01 23:59:59')).to.equal('2026-03-01T23:59:59.000Z');
    expect(fromDbTimeIso('2026-03-01 23:59:59.5')).to.equal('2026-03-01T23:59:59.500Z');
  });
});
