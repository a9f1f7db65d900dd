import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { NotFoundError, UnauthenticatedError } from '../errors';
import type { ProvedAccount } from '../users/account-service';
import type { Role } from '../users/user-repository';
import type { SessionCache } from './session-cache';
import type { RevokeReason, SessionOrigin, SessionRepository, SessionSummary } from './session-repository';
import { tokenDigest, type TokenService } from './token-service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  sessionId: string;
  /** Expiry of the access token, Unix seconds. */
  expiresAt: number;
}

export interface ListedSession extends SessionSummary {
  /** The session of the access token that asked. */
  current: boolean;
}

const refreshRefused = 'refresh token is invalid, expired, revoked or reused';

/** Sessions and their tokens: opening, rotating, ending and checking them. */
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly tokens: TokenService,
    private readonly cache: SessionCache,
    /** REFRESH_GRACE_SECONDS, in ms: how long the refresh token rotated last may be presented again. */
    private readonly refreshGraceMs: number,
  ) {}

  /**
   * Opens a new session for a user who has just proved who they are; other sessions stay
   * open. Refused when the account's sessions were ended (or it was disabled) since the
   * proof: the password proved may be the one just replaced.
   */
  async open(account: ProvedAccount, origin: SessionOrigin, now = new Date()): Promise<TokenPair> {
    const { userId, accessVersion } = account;
    const id = uuidv7();
    const issued = this.tokens.issue(userId, id, now.getTime());
    const opened = await this.sessions.insert({
      id,
      userId,
      accessVersion,
      refreshTokenHash: tokenDigest(issued.refreshToken),
      refreshExpiresAt: new Date(issued.refreshExpiresAt * 1000),
      origin,
      now,
    });
    if (!opened) throw new UnauthenticatedError('the account changed during login; log in again');
    return this.pair(issued.accessToken, issued.refreshToken);
  }

  /**
   * Rotates the refresh token (RFC 9700 §4.14.2). The token rotated last, presented
   * again within the grace window, gets the pair its rotation gave (a retry, a second
   * tab). Any other token with a valid signature that is no longer the session's
   * current one was rotated away already: someone is replaying it, so the whole session
   * (its access tokens included) is revoked, and `callLogger()` hears of it.
   */
  async refresh(refreshToken: string, callLogger: () => Logger, now = new Date()): Promise<TokenPair> {
    const claims = this.tokens.verify('refresh', refreshToken);
    const presented = tokenDigest(refreshToken);
    const issued = this.tokens.issue(claims.userId, claims.sessionId, now.getTime(), presented);
    const rotated = await this.sessions.rotate({
      id: claims.sessionId,
      userId: claims.userId,
      currentHash: presented,
      nextHash: tokenDigest(issued.refreshToken),
      nextExpiresAt: new Date(issued.refreshExpiresAt * 1000),
      now,
    });
    if (rotated) return this.pair(issued.accessToken, issued.refreshToken);

    const state = await this.sessions.findState(claims.sessionId);
    if (!state || state.revoked || state.userId !== claims.userId || state.refreshTokenHash === presented) {
      // Ended, someone else's, expired, or its account disabled: refused, nothing to revoke.
      throw new UnauthenticatedError(refreshRefused);
    }
    const { previousRefreshTokenHash, rotatedAt } = state;
    if (
      previousRefreshTokenHash === presented &&
      rotatedAt &&
      now.getTime() - rotatedAt.getTime() <= this.refreshGraceMs
    ) {
      const again = this.tokens.issue(claims.userId, claims.sessionId, rotatedAt.getTime(), presented);
      // Equal unless the signing settings changed since the rotation: then the retry is refused, nothing revoked.
      if (tokenDigest(again.refreshToken) !== state.refreshTokenHash) throw new UnauthenticatedError(refreshRefused);
      return this.pair(again.accessToken, again.refreshToken);
    }
    this.cache.ended(claims.sessionId, now.getTime());
    await this.sessions.revoke(claims.sessionId, claims.userId, 'refresh_token_reuse', now);
    callLogger().warn({ sessionId: claims.sessionId, userId: claims.userId }, 'refresh token reused: session revoked');
    throw new UnauthenticatedError(refreshRefused, claims.sessionId);
  }

  /** Ends the session of this access token: its access and refresh tokens stop working at once. */
  async logout(accessToken: string, now = new Date()): Promise<void> {
    const claims = this.tokens.verify('access', accessToken);
    this.cache.ended(claims.sessionId, now.getTime());
    const revoked = await this.sessions.revoke(claims.sessionId, claims.userId, 'logout', now);
    if (!revoked) throw new UnauthenticatedError('session has already ended');
  }

  /** A valid access token of a live session, and who it belongs to (see SessionCache for staleness). */
  async validate(accessToken: string): Promise<Principal> {
    const claims = this.tokens.verify('access', accessToken);
    const now = Date.now();
    let session = this.cache.get(claims.sessionId, now);
    if (session === undefined) {
      session = await this.sessions.findPrincipal(claims.sessionId);
      if (session) this.cache.remember(claims.sessionId, session, now);
    }
    if (!session || session.revoked || session.userId !== claims.userId) {
      throw new UnauthenticatedError('session has ended');
    }
    return {
      userId: session.userId,
      username: session.username,
      role: session.role,
      sessionId: claims.sessionId,
      expiresAt: claims.expiresAt,
    };
  }

  /** The caller's live sessions, its own marked. */
  async list(caller: Principal, now = new Date()): Promise<ListedSession[]> {
    const sessions = await this.sessions.listLive(caller.userId, now);
    return sessions.map((session) => ({ ...session, current: session.id === caller.sessionId }));
  }

  /** Ends one of the caller's own sessions; any other id (another account's included) is not found. */
  async end(caller: Principal, sessionId: string, now = new Date()): Promise<void> {
    const revoked = await this.sessions.revoke(sessionId, caller.userId, 'ended_by_owner', now);
    if (!revoked) throw new NotFoundError('no live session with this id');
    this.cache.ended(sessionId, now.getTime());
  }

  /** Ends every session of the account, but `keep` when given. */
  async endAllOf(userId: string, reason: RevokeReason, keep?: string, now = new Date()): Promise<void> {
    this.cache.endedUser(userId, now.getTime(), keep);
    await this.sessions.revokeAllOfUser(userId, reason, now, keep);
  }

  /** Every session of the account but `keep` was ended elsewhere (with a change to the account): forget them here. */
  forgetAllOf(userId: string, keep?: string, now = new Date()): void {
    this.cache.endedUser(userId, now.getTime(), keep);
  }

  private pair(accessToken: string, refreshToken: string): TokenPair {
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.tokens.accessTtlSeconds };
  }
}
