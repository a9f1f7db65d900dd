import { expect } from 'chai';
import { FairQueue, HashTimer, type Lane } from '../src/admission/fair-queue';
import { RefusedError, UnavailableError } from '../src/errors';

/** Work whose end the test decides: the queue's order is observed, never timed. */
function controlledWork() {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const task = (label: string) => () =>
    new Promise<string>((resolve) => {
      started.push(label);
      finish.set(label, () => resolve(label));
    });
  return { started, finish: (label: string) => finish.get(label)?.(), task };
}

const far = () => Date.now() + 60_000;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FairQueue', () => {
  it('serves queued work round-robin across keys', async () => {
    const queue = new FairQueue(1, 100, new HashTimer(1));
    const work = controlledWork();
    const run = (label: string, key: string) => queue.run({ key, lane: 'other', deadline: far() }, work.task(label));
    const all = [run('a1', 'a'), run('a2', 'a'), run('a3', 'a'), run('b1', 'b')];
    for (const label of ['a1', 'a2', 'b1', 'a3']) {
      await settle();
      work.finish(label);
    }
    await Promise.all(all);
    expect(work.started).to.deep.equal(['a1', 'a2', 'b1', 'a3']);
  });

  it('serves known logins first, but no more than three in a row while others wait', async () => {
    const queue = new FairQueue(1, 100, new HashTimer(1));
    const work = controlledWork();
    const run = (label: string, lane: Lane) => queue.run({ key: label, lane, deadline: far() }, work.task(label));
    const all = [
      run('o1', 'other'),
      run('o2', 'other'),
      run('k1', 'known'),
      run('k2', 'known'),
      run('k3', 'known'),
      run('k4', 'known'),
    ];
    for (const label of ['o1', 'k1', 'k2', 'k3', 'o2', 'k4']) {
      await settle();
      work.finish(label);
    }
    await Promise.all(all);
    expect(work.started).to.deep.equal(['o1', 'k1', 'k2', 'k3', 'o2', 'k4']);
  });

  it('refuses at once (auth-busy) what could not finish before its deadline', async () => {
    const queue = new FairQueue(1, 100, new HashTimer(1000));
    const work = controlledWork();
    const running = queue.run({ key: 'a', lane: 'other', deadline: far() }, work.task('a1'));
    // Behind one running hash (1 s), with room for its own to run twice as long as measured: 3.25 s. It fits.
    const fits = queue.run({ key: 'b', lane: 'other', deadline: Date.now() + 3500 }, work.task('b1'));
    // Behind two it would need 4.25 s.
    const late = await queue
      .run({ key: 'c', lane: 'other', deadline: Date.now() + 3500 }, work.task('c1'))
      .catch((e) => e);
    expect(late).to.be.instanceOf(RefusedError).with.property('reason', 'auth-busy');
    expect((late as RefusedError).retryAfterSeconds).to.be.at.least(1);
    work.finish('a1');
    await settle();
    work.finish('b1');
    expect(await Promise.all([running, fits])).to.deep.equal(['a1', 'b1']);
  });

  it('lets a known login displace other work that it would make late: that work is refused at once', async () => {
    const queue = new FairQueue(1, 100, new HashTimer(1000));
    const work = controlledWork();
    const running = queue.run({ key: 'a', lane: 'other', deadline: far() }, work.task('a1'));
    const displaced = queue.run({ key: 'b', lane: 'other', deadline: Date.now() + 3500 }, work.task('b1'));
    const known = queue.run({ key: 'k', lane: 'known', deadline: far() }, work.task('k1'));
    expect(await displaced.catch((e) => e))
      .to.be.instanceOf(RefusedError)
      .with.property('reason', 'auth-busy');
    work.finish('a1');
    await settle();
    work.finish('k1');
    expect(await Promise.all([running, known])).to.deep.equal(['a1', 'k1']);
    expect(work.started).to.deep.equal(['a1', 'k1']);
  });

  it('refuses queued work whose deadline can no longer be met when its turn comes, instead of starting it', async () => {
    const queue = new FairQueue(1, 100, new HashTimer(10));
    const work = controlledWork();
    const running = queue.run({ key: 'a', lane: 'other', deadline: far() }, work.task('a1'));
    const hurried = queue.run({ key: 'b', lane: 'other', deadline: Date.now() + 300 }, work.task('b1')).catch((e) => e);
    // The running hash takes far longer than measured: b1 is refused while it can still be answered.
    await new Promise((resolve) => setTimeout(resolve, 350));
    work.finish('a1');
    expect(await hurried)
      .to.be.instanceOf(RefusedError)
      .with.property('reason', 'auth-busy');
    expect(await running).to.equal('a1');
    expect(work.started).to.deep.equal(['a1']);
  });

  it('drops queued work whose caller went away, and caps the queue', async () => {
    const queue = new FairQueue(1, 1, new HashTimer(1));
    const work = controlledWork();
    const running = queue.run({ key: 'a', lane: 'other', deadline: far() }, work.task('a1'));
    const gone = new AbortController();
    const abandoned = queue.run({ key: 'b', lane: 'other', deadline: far(), signal: gone.signal }, work.task('b1'));
    const full = await queue.run({ key: 'c', lane: 'other', deadline: far() }, work.task('c1')).catch((e) => e);
    expect(full).to.be.instanceOf(RefusedError).with.property('reason', 'auth-busy');
    gone.abort();
    expect(await abandoned.catch((e) => e)).to.be.instanceOf(UnavailableError);
    const next = queue.run({ key: 'd', lane: 'other', deadline: far() }, work.task('d1'));
    work.finish('a1');
    await settle();
    work.finish('d1');
    expect(await Promise.all([running, next])).to.deep.equal(['a1', 'd1']);
    expect(work.started).to.deep.equal(['a1', 'd1']);
  });
});
