import { expect } from 'chai';
import type { Response } from 'supertest';
import { problemStatus, problemTitle, problemTypeBase, type ProblemCode } from '../../src/http/problem';

/** Anything that would tell a client how the gateway is built. */
const internals =
  /\bat .+:\d+:\d+|node_modules|\/work\/|\/app\/|\.(js|ts):\d+|\b(select|insert|update|delete)\b.+\b(from|into|set)\b|knex|sqlite|mysql|ECONN|ER_[A-Z_]+|grpc|stack/i;

/**
 * The response is RFC 9457 problem details of this code: the catalogue's status and
 * title, the five members always present, nothing else but `errors`, no internals.
 */
export function expectProblem(res: Response, status: number, code: ProblemCode): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json; charset=utf-8$/);
  expect(res.headers['x-request-id']).to.be.a('string').and.not.equal('');
  const body = res.body as Record<string, unknown>;
  expect(body).to.include({ type: problemTypeBase + code, title: problemTitle(code), status });
  expect(problemStatus(code)).to.equal(status);
  expect(body.detail).to.be.a('string').and.not.equal('');
  expect(body.instance).to.be.a('string').that.matches(/^\//);
  expect(Object.keys(body)).to.satisfy((keys: string[]) =>
    keys.every((key) => ['type', 'title', 'status', 'detail', 'instance', 'errors'].includes(key)),
  );
  if (body.errors !== undefined) {
    expect(body.errors).to.be.an('array').that.is.not.empty;
    for (const error of body.errors as unknown[]) expect(error).to.have.all.keys('path', 'message');
  }
  expect(JSON.stringify(body)).not.to.match(internals);
}

/** The field errors of a 400, as `path` → messages. */
export function errorPaths(res: Response): string[] {
  return ((res.body as { errors?: Array<{ path: string }> }).errors ?? []).map((error) => error.path);
}
