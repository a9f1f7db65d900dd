/** How long and how big one benchmark run is. */
export interface Profile {
  mode: 'full' | 'smoke';
  warmupSeconds: number;
  runs: number;
  runSeconds: number;
  connections: number;
  /** Users whose orders GET /orders/{id} and the small list read (one per connection). */
  readUsers: number;
  /** Orders each of those users owns (the small-table list). */
  ordersPerReadUser: number;
  /** Invoices in the table for the large-table lists, and how many one user owns. */
  largeTableInvoices: number;
  largeTableUserInvoices: number;
  /** Days the large table's invoices are spread over. */
  largeTableDays: number;
  /** Length of the mixed load whose RSS growth is judged. */
  memorySeconds: number;
  /** Logins during the bcrypt scenarios use this many users in turn, over this many connections. */
  loginUsers: number;
  loginConnections: number;
  /** The auth-service's BCRYPT_COST unless --bcrypt-cost says otherwise. */
  bcryptCost: number;
}

export const profiles: Record<Profile['mode'], Profile> = {
  full: {
    mode: 'full',
    warmupSeconds: 5,
    runs: 3,
    runSeconds: 15,
    connections: 20,
    readUsers: 20,
    ordersPerReadUser: 50,
    largeTableInvoices: 1_000_000,
    largeTableUserInvoices: 10_000,
    largeTableDays: 730,
    memorySeconds: 300,
    loginUsers: 20,
    loginConnections: 20,
    // The production default.
    bcryptCost: 12,
  },
  smoke: {
    mode: 'smoke',
    warmupSeconds: 1,
    runs: 1,
    runSeconds: 2,
    connections: 20,
    readUsers: 5,
    ordersPerReadUser: 50,
    largeTableInvoices: 20_000,
    largeTableUserInvoices: 2_000,
    largeTableDays: 30,
    memorySeconds: 15,
    loginUsers: 5,
    // A login at cost 12 takes longer than a smoke run when 20 queue for 2 bcrypt slots.
    loginConnections: 4,
    bcryptCost: 10,
  },
};

export interface CliOptions {
  profile: Profile;
  /** Run only these scenarios (and what they need). */
  only: string[] | null;
  env: NodeJS.ProcessEnv;
  /** Write V8 CPU profiles of both programs into this folder. */
  cpuProfDir: string | null;
  bcryptCost: number | null;
  outDir: string | null;
  /** Leave the run's databases in place (to look at them after the run). */
  keepDatabases: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    profile: profiles.full,
    only: null,
    env: {},
    cpuProfDir: null,
    bcryptCost: null,
    outDir: null,
    keepDatabases: false,
  };
  const overrides: Partial<Profile> = {};
  for (const arg of argv) {
    const [flag, value] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, ''];
    switch (flag) {
      case '--smoke':
        options.profile = profiles.smoke;
        break;
      case '--run-seconds':
        overrides.runSeconds = positive(flag, value);
        break;
      case '--runs':
        overrides.runs = positive(flag, value);
        break;
      case '--only':
        options.only = value.split(',').filter(Boolean);
        break;
      case '--env': {
        const at = value.indexOf('=');
        if (at < 1) throw new Error(`--env expects KEY=VALUE, got "${value}"`);
        options.env[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      case '--cpu-prof':
        options.cpuProfDir = value || 'bench/results/profiles.tmp';
        break;
      case '--bcrypt-cost':
        options.bcryptCost = Number(value);
        if (!Number.isInteger(options.bcryptCost) || options.bcryptCost < 4 || options.bcryptCost > 15) {
          throw new Error('--bcrypt-cost expects an integer from 4 to 15');
        }
        break;
      case '--keep-databases':
        options.keepDatabases = true;
        break;
      case '--out':
        options.outDir = value;
        break;
      default:
        throw new Error(
          `unknown argument "${arg}"\nusage: node dist/bench/run.js [--smoke] [--only=a,b] [--env=KEY=VALUE] [--cpu-prof[=dir]] [--bcrypt-cost=12] [--runs=N] [--run-seconds=N] [--out=dir] [--keep-databases]`,
        );
    }
  }
  options.profile = { ...options.profile, ...overrides };
  return options;
}

export function positive(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${flag} expects a positive integer`);
  return number;
}
