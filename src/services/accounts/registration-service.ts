/**
 * Account registration: open (m.login.dummy) or by registration token per config, guests, availability
 * checks, and the admin shared-secret registration that existing tools call.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MatrixError } from "../../errors.js";
import { isValidLocalpartForRegistration } from "../../protocol/identifiers.js";
import type { Db } from "../../storage/db.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { UiaStore } from "../../storage/uia-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Clock } from "../clock.js";
import type { AuthService, SessionTokens } from "./auth-service.js";
import type { PasswordHasher } from "./password-hasher.js";
import { newDeviceId } from "./tokens.js";
import type { UiaFlow } from "./uia-service.js";

export interface RegistrationSettings {
  serverName: string;
  enabled: boolean;
  tokensRequired: boolean;
  allowGuests: boolean;
  sharedSecret: string | undefined;
  passwordMinLength: number;
}

export interface RegisterParams {
  localpart?: string | undefined;
  password?: string | undefined;
  deviceId?: string | undefined;
  initialDeviceDisplayName?: string | undefined;
  inhibitLogin?: boolean | undefined;
  refreshToken?: boolean | undefined;
  admin?: boolean;
  guest?: boolean;
  userType?: string | null;
  /** The registration token this account spends (already reserved through UIA). */
  registrationToken?: string | undefined;
}

export interface RegisterResult {
  user_id: string;
  device_id?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in_ms?: number;
  home_server?: string;
}

/** Called once an account exists (profile defaults, push rules, auto-joined rooms...). */
export type NewAccountHook = (userId: string, options: { guest: boolean }) => Promise<void>;

const NONCE_LIFETIME_MS = 60_000;

export class RegistrationService {
  private readonly nonces = new Map<string, number>();
  private readonly newAccountHooks: NewAccountHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly users: UserStore,
    private readonly devices: DeviceStore,
    private readonly uiaStore: UiaStore,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly settings: RegistrationSettings,
  ) {}

  /** Runs after every new account (set up by context.ts once the services that react exist). */
  onNewAccount(hook: NewAccountHook): void {
    this.newAccountHooks.push(hook);
  }

  /** The UIA flows of POST /register, or undefined when registration through the API is off. */
  flows(): UiaFlow[] | undefined {
    if (this.settings.tokensRequired) return [{ stages: ["m.login.registration_token"] }];
    if (this.settings.enabled) return [{ stages: ["m.login.dummy"] }];
    return undefined;
  }

  get guestsAllowed(): boolean {
    return this.settings.allowGuests;
  }

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.settings.serverName}`;
  }

  /** GET /register/available: throws M_INVALID_USERNAME or M_USER_IN_USE, else true. */
  async checkAvailable(localpart: string): Promise<true> {
    this.validateLocalpart(localpart);
    if (await this.users.exists(this.userIdFor(localpart))) {
      throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
    }
    return true;
  }

  private validateLocalpart(localpart: string): void {
    if (localpart.length === 0) throw new MatrixError(400, "M_INVALID_USERNAME", "User ID cannot be empty");
    if (/^\d+$/.test(localpart)) {
      // Numeric localparts are kept for guests (as Synapse does), so a guest can later upgrade.
      throw new MatrixError(400, "M_INVALID_USERNAME", "Numeric user IDs are reserved for guest users");
    }
    if (!isValidLocalpartForRegistration(localpart)) {
      throw new MatrixError(400, "M_INVALID_USERNAME", "User ID can only contain characters a-z, 0-9, or '=_-./+'");
    }
    if (Buffer.byteLength(this.userIdFor(localpart)) > 255) {
      throw new MatrixError(400, "M_INVALID_USERNAME", "User ID may not be longer than 255 bytes");
    }
  }

  validatePassword(password: string | undefined): void {
    if (password === undefined) return;
    if (password.length < this.settings.passwordMinLength) {
      throw new MatrixError(400, "M_WEAK_PASSWORD", `Password must be at least ${this.settings.passwordMinLength} characters`);
    }
    if (password.length > 512) throw new MatrixError(400, "M_INVALID_PARAM", "Password too long");
  }

  /** Creates the account (and a device and tokens unless inhibit_login) in one transaction. */
  async register(params: RegisterParams): Promise<RegisterResult> {
    const guest = params.guest ?? false;
    const localpart = guest ? await this.nextGuestLocalpart() : (params.localpart ?? (await this.generateLocalpart()));
    if (!guest) this.validateLocalpart(localpart);
    this.validatePassword(params.password);
    const userId = this.userIdFor(localpart);
    const passwordHash = params.password !== undefined ? await this.hasher.hash(params.password) : null;
    const now = this.clock.now();
    const result = await this.db.transaction(async (tx) => {
      const inserted = await this.users.insert(
        tx.db,
        { userId, passwordHash, isAdmin: params.admin ?? false, isGuest: guest, userType: params.userType ?? null },
        now,
      );
      if (!inserted) throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
      await this.users.setProfileField(tx.db, userId, "displayname", localpart);
      if (params.registrationToken !== undefined) await this.uiaStore.completeRegistrationToken(tx.db, params.registrationToken);
      const out: RegisterResult = { user_id: userId, home_server: this.settings.serverName };
      if (!params.inhibitLogin) {
        const deviceId = params.deviceId ?? newDeviceId();
        await this.devices.upsert(tx.db, userId, deviceId, params.initialDeviceDisplayName ?? null, now);
        const tokens: SessionTokens = await this.auth.issueSession(tx.db, userId, deviceId, { refreshToken: params.refreshToken ?? false });
        Object.assign(out, { device_id: deviceId }, tokens);
      }
      return out;
    });
    for (const hook of this.newAccountHooks) await hook(userId, { guest });
    return result;
  }

  private async generateLocalpart(): Promise<string> {
    for (;;) {
      const candidate = `u${randomBytes(6).toString("hex")}`;
      if (!(await this.users.exists(this.userIdFor(candidate)))) return candidate;
    }
  }

  private async nextGuestLocalpart(): Promise<string> {
    for (;;) {
      const candidate = String(100000 + Math.floor(Math.random() * 1e12));
      if (!(await this.users.exists(this.userIdFor(candidate)))) return candidate;
    }
  }

  /** GET /register/m.login.registration_token/validity. */
  async isRegistrationTokenValid(token: string): Promise<boolean> {
    const record = await this.uiaStore.getRegistrationToken(token);
    if (!record) return false;
    if (record.expiryTs !== null && record.expiryTs <= this.clock.now()) return false;
    return record.usesAllowed === null || record.pending + record.completed < record.usesAllowed;
  }

  /** GET /_synapse/admin/v1/register: a nonce for shared-secret registration. */
  newAdminNonce(): string {
    if (!this.settings.sharedSecret) throw new MatrixError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
    const now = this.clock.now();
    for (const [nonce, ts] of this.nonces) if (ts + NONCE_LIFETIME_MS < now) this.nonces.delete(nonce);
    const nonce = randomBytes(16).toString("hex");
    this.nonces.set(nonce, now);
    return nonce;
  }

  /**
   * POST /_synapse/admin/v1/register: the MAC is HMAC-SHA1 over nonce NUL username NUL password NUL
   * ("admin" | "notadmin") [NUL user_type], hex, as existing tools compute it.
   */
  async registerWithSharedSecret(body: {
    nonce: string;
    username: string;
    password: string;
    admin: boolean;
    mac: string;
    user_type?: string | null | undefined;
    displayname?: string | undefined;
  }): Promise<RegisterResult> {
    const secret = this.settings.sharedSecret;
    if (!secret) throw new MatrixError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
    const issued = this.nonces.get(body.nonce);
    if (issued === undefined || issued + NONCE_LIFETIME_MS < this.clock.now()) {
      throw new MatrixError(400, "M_UNKNOWN", "unrecognised nonce");
    }
    this.nonces.delete(body.nonce);
    const mac = createHmac("sha1", secret);
    mac.update(body.nonce).update("\x00").update(body.username).update("\x00").update(body.password).update("\x00");
    mac.update(body.admin ? "admin" : "notadmin");
    if (body.user_type) mac.update("\x00").update(body.user_type);
    const expected = Buffer.from(mac.digest("hex"));
    const given = Buffer.from(body.mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new MatrixError(403, "M_FORBIDDEN", "HMAC incorrect");
    }
    const result = await this.register({ localpart: body.username.toLowerCase(), password: body.password, admin: body.admin, userType: body.user_type ?? null });
    if (body.displayname) await this.users.setProfileField(this.db.kysely, result.user_id, "displayname", body.displayname);
    return result;
  }
}
