import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'mocha';
import { repoRoot } from '../../../common/src/repo-root';
import { mysqlVersion } from './mysql';
import { describeEnvironment, report } from './report';

/**
 * Mocha root hooks of the campaign: note every check's result and, at the end, write
 * docs/resilience-report.md (unless RESILIENCE_REPORT=off).
 */
export const mochaHooks = {
  async beforeAll(this: Context) {
    let version = 'unreachable';
    try {
      version = await mysqlVersion();
    } catch {
      // the scenarios fail with the real error; the report just says so
    }
    describeEnvironment(version);
  },
  afterEach(this: Context) {
    const test = this.currentTest;
    if (test)
      report.recordTest({ title: test.fullTitle(), state: test.state ?? 'pending', durationMs: test.duration ?? 0 });
  },
  afterAll() {
    if (process.env.RESILIENCE_REPORT === 'off') return;
    mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
    const file = report.write();
    console.log(`resilience report written to ${path.relative(repoRoot, file)}`);
  },
};
