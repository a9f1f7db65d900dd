import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

// better-sqlite3 12 built against Node >= 24.19 aborted the process (SIGABRT) when a
// garbage collection finalised statements outside JavaScript (an idle GC, or at exit):
// node::ObjectWrap's destructor removed a cleanup hook that was no longer there. The
// images were held on Node 24.18.1 for it; better-sqlite3 13 does not use ObjectWrap.
// This runs the same churn on the Node the project runs on.
describe('SQLite statements finalised by the garbage collector', () => {
  it('neither aborts the process during an idle collection nor at exit', () => {
    const churn = [
      "const Database = require('better-sqlite3');",
      "const db = new Database(':memory:');",
      'for (let i = 0; i < 20000; i++) db.prepare(`SELECT ${i}`).get();',
      'globalThis.gc();',
      'setTimeout(() => { globalThis.gc(); process.stdout.write("done"); }, 50);',
    ].join(' ');
    const result = spawnSync(process.execPath, ['--expose-gc', '-e', churn], { encoding: 'utf8', timeout: 60_000 });
    expect(result.signal, result.stderr).to.equal(null);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('done');
  });
});
