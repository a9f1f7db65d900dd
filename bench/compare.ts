import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../common/src/repo-root';
import { median } from './src/measure';
import { positive } from './src/profile';
import { fixed, scenarioTitles } from './src/report';

// Compares this checkout with another built one (a baseline commit) in one sitting, on
// this Node: short benchmark runs of both, alternated round after round (ABBA), so that
// both meet the same machine. A full run's ratios are taken against a ceiling measured
// once, minutes apart, and move with the runtime and the machine's mood; a change is
// judged here by the ratio of its own figures to the baseline's measured beside them.

const measurementFigures = z.object({
  okPerSec: z.number(),
  p99Ms: z.number(),
  systemCpuMsPerRequest: z.number(),
  peakRssMb: z.record(z.string(), z.number()),
});
const runReport = z.object({
  environment: z.object({ commit: z.string(), node: z.string() }),
  results: z.record(z.string(), measurementFigures),
});
type RunReport = z.infer<typeof runReport>;

interface CompareOptions {
  baseline: string;
  rounds: number;
  runSeconds: number;
  only: string[];
}

const usage =
  'usage: node dist/bench/compare.js --baseline=<built checkout> [--rounds=4] [--run-seconds=10] [--only=ceiling,getOrder,listOrders,purchase,mixed]';

function parseArgs(argv: string[]): CompareOptions {
  const options: CompareOptions = {
    baseline: '',
    rounds: 4,
    runSeconds: 10,
    only: ['ceiling', 'getOrder', 'listOrders', 'purchase', 'mixed'],
  };
  for (const arg of argv) {
    const at = arg.indexOf('=');
    const [flag, value] = at < 0 ? [arg, ''] : [arg.slice(0, at), arg.slice(at + 1)];
    if (flag === '--baseline') options.baseline = path.resolve(value);
    else if (flag === '--rounds') options.rounds = positive(flag, value);
    else if (flag === '--run-seconds') options.runSeconds = positive(flag, value);
    else if (flag === '--only') options.only = value.split(',').filter(Boolean);
    else throw new Error(`unknown argument "${arg}"\n${usage}`);
  }
  if (!existsSync(path.join(options.baseline, 'dist', 'bench', 'run.js'))) {
    throw new Error(`--baseline must name a checkout built with npm run build (no dist/bench/run.js there)\n${usage}`);
  }
  if (!options.only.includes('ceiling')) options.only.unshift('ceiling');
  return options;
}

/** One short benchmark run of the checkout in `tree`, with this Node; its report. */
function benchRun(tree: string, options: CompareOptions, outDir: string): RunReport {
  const args = [
    path.join(tree, 'dist', 'bench', 'run.js'),
    `--only=${options.only.join(',')}`,
    '--runs=1',
    `--run-seconds=${options.runSeconds}`,
    `--out=${outDir}`,
  ];
  // A run that misses a full run's targets exits 1 and still reports; only a missing report fails.
  const run = spawnSync(process.execPath, args, { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const reportFile = path.join(outDir, 'full.json');
  if (!existsSync(reportFile)) throw new Error(`no report from ${tree}:\n${run.stdout}\n${run.stderr}`);
  return runReport.parse(JSON.parse(readFileSync(reportFile, 'utf8')));
}

interface Figures {
  okPerSec: number;
  ceilingShare: number;
  cpuMs: number;
  p99Ms: number;
  gatewayRssMb: number;
}

function figuresOf(report: RunReport, scenario: string): Figures | undefined {
  const measured = report.results[scenario];
  const ceiling = report.results.ceiling?.okPerSec;
  if (!measured || !ceiling) return undefined;
  return {
    okPerSec: measured.okPerSec,
    ceilingShare: (100 * measured.okPerSec) / ceiling,
    cpuMs: measured.systemCpuMsPerRequest,
    p99Ms: measured.p99Ms,
    gatewayRssMb: measured.peakRssMb.gateway ?? Number.NaN,
  };
}

function table(options: CompareOptions, runs: { baseline: RunReport[]; current: RunReport[] }): string {
  const lines = [
    `# Aletheia benchmark: ${runs.current[0].environment.commit} against ${runs.baseline[0].environment.commit}`,
    '',
    `\`node dist/bench/compare.js --baseline=… --rounds=${options.rounds} --run-seconds=${options.runSeconds}\` on ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}.`,
    '',
    `${options.rounds} rounds; each round runs the baseline and this checkout once (1 × ${options.runSeconds} s per scenario after the warm-up, in turns ABBA). Each figure is the median over the rounds; "change" is the median over the rounds of this checkout's figure divided by the baseline's of the same round (above 1 is more requests per second, or more CPU per request). % ceiling divides by the ceiling measured in the same run.`,
    '',
    '| scenario | req/s base | req/s now | change | % ceiling base | % ceiling now | CPU ms/req base | CPU ms/req now | change | p99 ms base | p99 ms now | gateway RSS MB base | now |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const scenario of options.only) {
    const pairs = runs.current.flatMap((current, round) => {
      const now = figuresOf(current, scenario);
      const base = figuresOf(runs.baseline[round], scenario);
      return now && base ? [{ now, base }] : [];
    });
    if (pairs.length === 0) continue;
    const both = (key: keyof Figures, digits: number) =>
      (['base', 'now'] as const).map((side) => fixed(median(pairs.map((pair) => pair[side][key])), digits));
    const change = (key: keyof Figures) => fixed(median(pairs.map((pair) => pair.now[key] / pair.base[key])), 2);
    const cells = [
      scenarioTitles[scenario] ?? scenario,
      ...both('okPerSec', 0),
      change('okPerSec'),
      ...both('ceilingShare', 1),
      ...both('cpuMs', 3),
      change('cpuMs'),
      ...both('p99Ms', 0),
      ...both('gatewayRssMb', 0),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const workDir = path.join(repoRoot, 'bench', 'results', 'runs.tmp', `compare-${Date.now()}`);
  const runs: { baseline: RunReport[]; current: RunReport[] } = { baseline: [], current: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
    for (const side of order) {
      const tree = side === 'baseline' ? options.baseline : repoRoot;
      const report = benchRun(tree, options, path.join(workDir, `${side}-${round + 1}`));
      runs[side].push(report);
      const line = options.only.map((name) => `${name} ${report.results[name]?.okPerSec.toFixed(0) ?? '–'}`);
      console.log(`[compare] round ${round + 1}/${options.rounds} ${side}: ${line.join(', ')} req/s`);
    }
  }
  const text = table(options, runs);
  mkdirSync(workDir, { recursive: true });
  for (const folder of [workDir, path.join(repoRoot, 'bench', 'results')]) {
    writeFileSync(path.join(folder, 'compare.md'), text);
    writeFileSync(path.join(folder, 'compare.json'), JSON.stringify({ options, runs }, null, 2) + '\n');
  }
  console.log(text);
}

main();
