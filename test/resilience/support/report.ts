import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../../common/src/repo-root';

export interface Invariant {
  name: string;
  held: boolean;
  detail?: string;
}

/** The figures one scenario contributes to the report. */
export class ReportSection {
  readonly figures: Array<[string, string]> = [];
  readonly tables: Array<{ title: string; header: string[]; rows: string[][] }> = [];
  readonly invariants: Invariant[] = [];
  readonly notes: string[] = [];

  constructor(readonly title: string) {}

  figure(label: string, value: string | number): this {
    const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : value;
    const existing = this.figures.find(([name]) => name === label);
    if (existing) existing[1] = text;
    else this.figures.push([label, text]);
    return this;
  }

  counts(label: string, counts: Record<string, number>): this {
    return this.figure(
      label,
      Object.entries(counts)
        .map(([key, count]) => `${key}: ${count}`)
        .join(', ') || 'none',
    );
  }

  table(title: string, header: string[], rows: Array<Array<string | number>>): this {
    this.tables.push({ title, header, rows: rows.map((row) => row.map(String)) });
    return this;
  }

  /** Records an invariant and returns whether it held, so the test can assert on it. */
  invariant(name: string, held: boolean, detail?: string): boolean {
    const short = detail && detail.length > 400 ? `${detail.slice(0, 400)}…` : detail;
    this.invariants.push({ name, held, detail: short });
    return held;
  }

  note(text: string): this {
    this.notes.push(text);
    return this;
  }
}

interface TestResult {
  title: string;
  state: string;
  durationMs: number;
}

/** Collects every scenario's figures during one run and writes docs/resilience-report.md. */
class CampaignReport {
  readonly sections: ReportSection[] = [];
  readonly tests: TestResult[] = [];
  readonly startedAt = new Date();
  readonly environment: Array<[string, string]> = [];

  section(title: string): ReportSection {
    let section = this.sections.find((s) => s.title === title);
    if (!section) {
      section = new ReportSection(title);
      this.sections.push(section);
    }
    return section;
  }

  recordTest(result: TestResult): void {
    this.tests.push(result);
  }

  render(): string {
    const finished = new Date();
    const passed = this.tests.filter((t) => t.state === 'passed').length;
    const failed = this.tests.filter((t) => t.state === 'failed').length;
    const lines = [
      '# Aletheia resilience and security report',
      '',
      'Written by `npm run test:resilience` (test/resilience): the real gateway and auth-service run as',
      'child processes from `dist/`, each on a fresh MariaDB database reached through a TCP fault',
      'proxy of the campaign, with `NODE_ENV=production`. All traffic stays on 127.0.0.1.',
      '',
      `- Run: ${this.startedAt.toISOString()} to ${finished.toISOString()} (${((finished.getTime() - this.startedAt.getTime()) / 1000).toFixed(0)} s)`,
      `- Checks: ${passed} passed, ${failed} failed, ${this.tests.length - passed - failed} not run`,
      ...this.environment.map(([name, value]) => `- ${name}: ${value}`),
      '',
    ];
    for (const section of this.sections) {
      lines.push(`## ${section.title}`, '');
      if (section.figures.length > 0) {
        lines.push(
          '| figure | value |',
          '| --- | --- |',
          ...section.figures.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
          '',
        );
      }
      for (const table of section.tables) {
        lines.push(
          `**${table.title}**`,
          '',
          `| ${table.header.join(' | ')} |`,
          `| ${table.header.map(() => '---').join(' | ')} |`,
        );
        lines.push(...table.rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`), '');
      }
      if (section.invariants.length > 0) {
        lines.push('Invariants:', '');
        for (const invariant of section.invariants) {
          lines.push(
            `- ${invariant.held ? 'held' : '**BROKEN**'}: ${invariant.name}${invariant.detail ? ` (${invariant.detail})` : ''}`,
          );
        }
        lines.push('');
      }
      for (const note of section.notes) lines.push(note, '');
    }
    lines.push('## Checks', '', '| check | result | time |', '| --- | --- | --- |');
    for (const test of this.tests)
      lines.push(`| ${test.title.replace(/\|/g, '\\|')} | ${test.state} | ${(test.durationMs / 1000).toFixed(1)} s |`);
    lines.push('');
    return lines.join('\n');
  }

  write(file = path.join(repoRoot, 'docs', 'resilience-report.md')): string {
    writeFileSync(file, this.render());
    return file;
  }
}

export const report = new CampaignReport();

export function describeEnvironment(mariadb: string): void {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout (e.g. an image): the report says unknown
  }
  report.environment.push(
    ['Commit', commit],
    ['Node.js', process.version],
    ['MariaDB', mariadb],
    ['Machine', `${os.cpus().length} CPU cores, ${os.platform()} ${os.arch()}`],
  );
}
