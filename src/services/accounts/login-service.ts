/**
 * Logging in: password (every identifier type of the spec: m.id.user, m.id.thirdparty, m.id.phone and
 * the deprecated top-level `user`/`medium`+`address`), m.login.token (from /login/get_token), and
 * the password check that UIA's m.login.password stage shares.
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "../../errors.js";
import type { Db } from "../../storage/db.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { TokenStore } from "../../storage/token-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Clock } from "../clock.js";
import type { AuthService } from "./auth-service.js";
import type { PasswordHasher } from "./password-hasher.js";
import { hashToken, newDeviceId } from "./tokens.js";

export interface LoginRequest {
  type: string;
  identifier?: Record<string, unknown> | undefined;
  user?: string | undefined;
  medium?: string | undefined;
  address?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  device_id?: string | undefined;
  initial_device_display_name?: string | undefined;
  refresh_token?: boolean | undefined;
}

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  refresh_token?: string;
  expires_in_ms?: number;
  well_known?: Record<string, unknown>;
}

const forbidden = (): MatrixError => new MatrixError(403, "M_FORBIDDEN", "Invalid username or password");

export class LoginService {
  constructor(
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly devices: DeviceStore,
    private readonly tokens: TokenStore,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly settings: { serverName: string; passwordEnabled: boolean; loginTokenLifetimeMs: number },
  ) {}

  flows(): { type: string; get_login_token?: boolean }[] {
    const flows: { type: string; get_login_token?: boolean }[] = [{ type: "m.login.token", get_login_token: true }];
    if (this.settings.passwordEnabled) flows.unshift({ type: "m.login.password" });
    return flows;
  }

  /** Finds the user an identifier names (local users only), or undefined. */
  async resolveIdentifier(request: Pick<LoginRequest, "identifier" | "user" | "medium" | "address">): Promise<string | undefined> {
    const identifier = request.identifier ?? (request.user !== undefined ? { type: "m.id.user", user: request.user } : undefined) ??
      (request.medium !== undefined ? { type: "m.id.thirdparty", medium: request.medium, address: request.address } : undefined);
    if (!identifier) throw new MatrixError(400, "M_MISSING_PARAM", "Missing identifier");
    switch (identifier["type"]) {
      case "m.id.user": {
        const user = identifier["user"];
        if (typeof user !== "string" || user.length === 0) throw new MatrixError(400, "M_INVALID_PARAM", "identifier.user must be a string");
        const userId = user.startsWith("@") ? user : `@${user}:${this.settings.serverName}`;
        if (!userId.endsWith(`:${this.settings.serverName}`)) return undefined;
        const exact = await this.users.get(userId);
        if (exact) return exact.userId;
        // Users type their name with other capitalisation; accept it when it is unambiguous (as Synapse does).
        const matches = await this.users.findCaseInsensitive(userId);
        return matches.length === 1 ? matches[0]?.userId : undefined;
      }
      case "m.id.thirdparty": {
        const { medium, address } = identifier as { medium?: unknown; address?: unknown };
        if (typeof medium !== "string" || typeof address !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "Invalid third-party identifier");
        const normalised = medium === "email" ? address.trim().toLowerCase() : address.trim();
        return this.users.findUserByThreepid(medium, normalised);
      }
      case "m.id.phone": {
        const { country, phone } = identifier as { country?: unknown; phone?: unknown };
        if (typeof country !== "string" || typeof phone !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "Invalid phone identifier");
        const msisdn = phoneToMsisdn(country, phone);
        return this.users.findUserByThreepid("msisdn", msisdn);
      }
      default:
        throw new MatrixError(400, "M_UNKNOWN", "Unknown login identifier type");
    }
  }

  /** Checks a user's password; returns the canonical user ID or throws 403. */
  async checkPassword(request: Pick<LoginRequest, "identifier" | "user" | "medium" | "address" | "password">): Promise<string> {
    if (!this.settings.passwordEnabled) throw new MatrixError(400, "M_UNKNOWN", "Password login is disabled");
    if (typeof request.password !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing password");
    const userId = await this.resolveIdentifier(request);
    const user = userId ? await this.users.get(userId) : undefined;
    const ok = await this.hasher.verify(request.password, user?.passwordHash ?? null);
    if (!user || !ok) throw forbidden();
    if (user.deactivated) throw new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
    return user.userId;
  }

  async login(request: LoginRequest): Promise<LoginResult> {
    let userId: string;
    switch (request.type) {
      case "m.login.password":
        userId = await this.checkPassword(request);
        break;
      case "m.login.token": {
        if (typeof request.token !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing token");
        const owner = await this.tokens.consumeLoginToken(hashToken(request.token), this.clock.now());
        if (!owner) throw new MatrixError(403, "M_FORBIDDEN", "Invalid login token");
        userId = owner;
        break;
      }
      default:
        throw new MatrixError(400, "M_UNKNOWN", "Unknown login type");
    }
    const user = await this.users.get(userId);
    if (!user || user.deactivated) throw new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
    if (user.locked) throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
    const deviceId = request.device_id ?? newDeviceId();
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      await this.devices.upsert(tx.db, userId, deviceId, request.initial_device_display_name ?? null, now);
      const session = await this.auth.issueSession(tx.db, userId, deviceId, { refreshToken: request.refresh_token ?? false });
      return { user_id: userId, device_id: deviceId, home_server: this.settings.serverName, ...session };
    });
  }

  /** POST /login/get_token: a short-lived single-use token to log in another device. */
  async createLoginToken(userId: string): Promise<{ login_token: string; expires_in_ms: number }> {
    const token = `tsl_${randomBytes(24).toString("base64url")}`;
    await this.tokens.insertLoginToken(hashToken(token), userId, this.clock.now() + this.settings.loginTokenLifetimeMs);
    return { login_token: token, expires_in_ms: this.settings.loginTokenLifetimeMs };
  }
}

/** E.164 digits of a phone number given with its ISO country code (a small table of common codes). */
function phoneToMsisdn(country: string, phone: string): string {
  const digits = phone.replace(/[^\d]/g, "");
  const code = COUNTRY_CALLING_CODES[country.toUpperCase()];
  if (code === undefined) throw new MatrixError(400, "M_INVALID_PARAM", "Unknown country code");
  return digits.startsWith(code) && phone.trim().startsWith("+") ? digits : code + digits.replace(/^0+/, "");
}

const COUNTRY_CALLING_CODES: Readonly<Record<string, string>> = {
  US: "1", CA: "1", GB: "44", DE: "49", FR: "33", ES: "34", IT: "39", NL: "31", BE: "32", CH: "41", AT: "43",
  SE: "46", NO: "47", DK: "45", FI: "358", PL: "48", PT: "351", IE: "353", AU: "61", NZ: "64", JP: "81",
  CN: "86", IN: "91", BR: "55", MX: "52", RU: "7", ZA: "27", KR: "82", IL: "972", TR: "90", UA: "380",
};
