import type { HttpResponse } from '../http';
import type { HostileCase } from './cases';

/**
 * What must never reach a client: stack frames, file paths, SQL, driver error codes and
 * names of internal tables or modules.
 */
export const leakPatterns: Array<[string, RegExp]> = [
  ['stack frame', /\bat [\w$.<>[\] ]+ \(|\bat (?:async )?\/|\n\s+at /],
  ['file path', /\/(?:work|app|home|usr|tmp)\/|node_modules|\b\w+\.(?:js|ts|mjs|cjs):\d+/],
  ['SQL', /\b(?:select\s[\s\S]{0,80}\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|alter\s+table)\b/i],
  ['driver error', /\bER_[A-Z_]{3,}|SQLITE_[A-Z]+|ECONNREFUSED|ETIMEDOUT|sqlMessage|errno|sqlState/],
  [
    'internal name',
    /\bknex\b|\bmysql2?\b|better-sqlite3|\binvoice_status_history\b|_knex_migrations|password_hash|\bgrpc\b|@grpc/i,
  ],
  [
    'JavaScript error',
    /\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b|Cannot read propert|is not a function|undefined is not/,
  ],
];

/** The response text with everything the request itself carried removed (echoes are not leaks). */
function withoutEchoes(text: string, echoes: string[]): string {
  let rest = text;
  for (const echo of [...echoes].sort((a, b) => b.length - a.length)) {
    for (const form of [echo, JSON.stringify(echo).slice(1, -1)]) {
      if (form.length >= 3) rest = rest.split(form).join('');
    }
  }
  return rest;
}

export function findLeaks(text: string, echoes: string[] = []): string[] {
  const scanned = withoutEchoes(text, echoes);
  return leakPatterns.filter(([, pattern]) => pattern.test(scanned)).map(([name]) => name);
}

/** Problems with an error answer's shape: RFC 9457 with the five members, status matching. */
export function problemShapeErrors(response: HttpResponse): string[] {
  const errors: string[] = [];
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) errors.push(`content-type ${type || '(none)'}`);
  const body = response.json as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [...errors, 'body is not a JSON object'];
  for (const member of ['type', 'title', 'detail', 'instance']) {
    if (typeof body[member] !== 'string') errors.push(`${member} missing`);
  }
  if (body.status !== response.status) errors.push(`status member ${String(body.status)} != ${response.status}`);
  if (typeof body.type === 'string' && !body.type.startsWith('https://aletheia.gold/problems/'))
    errors.push(`type ${body.type}`);
  return errors;
}

/** Field errors must say the rule in words: no regular expression, no JSON Schema jargon. */
export const regexOrJargon = /must match|pattern|\^|\$|\\|\(\?|NOT have|oneOf|additional properties/;

export function unwordedFieldErrors(body: unknown): string[] {
  const errors = (body as { errors?: Array<{ message?: unknown }> } | undefined)?.errors ?? [];
  return errors
    .filter((error) => typeof error.message !== 'string' || regexOrJargon.test(error.message))
    .map((error) => `field error not in words: ${String(error.message).slice(0, 60)}`);
}

export interface Verdict {
  ok: boolean;
  problems: string[];
}

/** Judges one hostile case's answer (or transport failure) against its expectation. */
export function judge(hostile: HostileCase, outcome: HttpResponse | { transport: string }): Verdict {
  const problems: string[] = [];
  if ('transport' in outcome) {
    // A connection closed without an answer is acceptable only for broken framing.
    if (!(hostile.raw && outcome.transport === 'reset')) problems.push(`no answer (${outcome.transport})`);
    return { ok: problems.length === 0, problems };
  }
  const { status } = outcome;
  const type = (outcome.json as { type?: unknown } | undefined)?.type;
  if (status >= 500) problems.push(`status ${status}`);
  if (hostile.expect === 'reject' && status < 400) problems.push(`accepted (${status}) though it breaks the contract`);
  if (
    hostile.expect === 'valid' &&
    ((status === 400 && type === 'https://aletheia.gold/problems/invalid-request') || status === 413 || status === 415)
  )
    problems.push(`refused (${status}) though the contract accepts it`);
  if (hostile.echo && status === 201) {
    const stored = (outcome.json as Record<string, unknown> | undefined)?.[hostile.echo.field];
    if (stored !== hostile.echo.value.trim()) problems.push(`${hostile.echo.field} came back altered`);
  }
  if (hostile.expect === 'unauthenticated' && status !== 401) problems.push(`status ${status} instead of 401`);
  if (status >= 400) {
    problems.push(...problemShapeErrors(outcome));
    problems.push(...unwordedFieldErrors(outcome.json));
    problems.push(...findLeaks(outcome.text, hostile.echoes).map((leak) => `leaks ${leak}`));
  }
  return { ok: problems.length === 0, problems };
}
