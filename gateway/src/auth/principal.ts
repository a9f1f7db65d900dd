import type { Response } from 'express';
import { ProblemError } from '../http/problem';

export type Role = 'USER' | 'ADMIN';

/** Who is calling: what the auth service said about the bearer token. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  sessionId: string;
}

/** The principal the bearer-token middleware stored for this request. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new ProblemError('unauthenticated', 'This route needs a bearer token.');
  return principal;
}
