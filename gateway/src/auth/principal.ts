export type Role = 'USER' | 'ADMIN';

/** Who is calling: what the auth service said about the bearer token. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  sessionId: string;
}
