import { expect } from 'chai';
import { committedErd, renderErd } from '../../scripts/erd';

describe('README entity-relationship diagrams', () => {
  it('show both databases as the migrations build them (npm run docs:erd redraws them)', async () => {
    expect(committedErd(), 'README.md has the erd section').to.not.equal(undefined);
    expect(committedErd()).to.equal(await renderErd());
  });
});
