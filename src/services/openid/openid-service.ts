/**
 * OpenID tokens (client-server API "OpenID"): a user gets a short-lived token a third party exchanges,
 * through the federation API's `GET /openid/userinfo`, for the user's ID. The tokens are stored hashed
 * and prove nothing but the identity: they are not access tokens.
 */
import { MatrixError } from "../../errors.js";
import type { TokenStore } from "../../storage/token-store.js";
import { hashToken, newToken } from "../accounts/tokens.js";
import type { Clock } from "../clock.js";

/** Lifetime of an OpenID token (Synapse's, which clients are used to). */
const OPENID_TOKEN_LIFETIME_MS = 3600_000;

export interface OpenIdCredentials {
  access_token: string;
  token_type: "Bearer";
  matrix_server_name: string;
  expires_in: number;
}

export class OpenIdService {
  constructor(
    private readonly tokens: TokenStore,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** POST /user/{userId}/openid/request_token: a token for the requester themselves. */
  async requestToken(requesterId: string, userId: string): Promise<OpenIdCredentials> {
    if (userId !== requesterId) throw new MatrixError(403, "M_FORBIDDEN", "Cannot request tokens for other users");
    const token = newToken("oid");
    await this.tokens.insertOpenIdToken(hashToken(token), userId, this.clock.now() + OPENID_TOKEN_LIFETIME_MS);
    return { access_token: token, token_type: "Bearer", matrix_server_name: this.serverName, expires_in: OPENID_TOKEN_LIFETIME_MS / 1000 };
  }

  /** The user an unexpired OpenID token was issued to (for the federation userinfo endpoint). */
  async userForToken(token: string): Promise<string | undefined> {
    return this.tokens.findOpenIdToken(hashToken(token), this.clock.now());
  }
}
