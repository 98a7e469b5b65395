/**
 * TURN credentials for VoIP (client-server API "Voice over IP", GET /voip/turnServer). With a shared
 * secret, credentials are time-limited as coturn's REST API expects them (draft-uberti-behave-turn-
 * rest): username `<expiry in seconds>:<user ID>`, password base64(HMAC-SHA1(secret, username)).
 * Otherwise the configured static username and password. Unconfigured: an empty object (as Synapse).
 */
import { createHmac } from "node:crypto";
import { MatrixError } from "../../errors.js";
import type { Clock } from "../clock.js";

export interface TurnConfig {
  uris: readonly string[];
  shared_secret?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  user_lifetime_ms: number;
  allow_guests: boolean;
}

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

export class TurnService {
  constructor(
    private readonly config: TurnConfig,
    private readonly clock: Clock,
  ) {}

  /** Credentials for `userId`, or {} when no TURN server is configured. */
  credentials(userId: string, isGuest: boolean): TurnCredentials | Record<string, never> {
    const { uris, shared_secret: secret, username, password, user_lifetime_ms: lifetime } = this.config;
    if (uris.length === 0) return {};
    if (isGuest && !this.config.allow_guests) throw new MatrixError(403, "M_FORBIDDEN", "Guests may not use the TURN server");
    const ttl = Math.floor(lifetime / 1000);
    if (secret !== undefined) {
      const name = `${Math.floor((this.clock.now() + lifetime) / 1000)}:${userId}`;
      return { username: name, password: createHmac("sha1", secret).update(name).digest("base64"), uris: [...uris], ttl };
    }
    if (username !== undefined && password !== undefined) return { username, password, uris: [...uris], ttl };
    return {};
  }
}
