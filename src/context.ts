/**
 * AppContext: the one place where stores, services and clients are constructed and wired together.
 * Tests may pass overrides (a clock, a cheaper password hash).
 */
import type { Config } from "./config/schema.js";
import type { Secrets } from "./config/secrets.js";
import type { Logger } from "./logger.js";
import type { Db } from "./storage/db.js";
import { DeviceStore } from "./storage/device-store.js";
import { TokenStore } from "./storage/token-store.js";
import { UiaStore } from "./storage/uia-store.js";
import { UserStore } from "./storage/user-store.js";
import { AccountService } from "./services/accounts/account-service.js";
import { AuthService } from "./services/accounts/auth-service.js";
import { DeviceService } from "./services/accounts/device-service.js";
import { LoginService } from "./services/accounts/login-service.js";
import { PasswordHasher } from "./services/accounts/password-hasher.js";
import { RegistrationService } from "./services/accounts/registration-service.js";
import { buildUiaCheckers } from "./services/accounts/uia-stages.js";
import { UiaService } from "./services/accounts/uia-service.js";
import { systemClock, type Clock } from "./services/clock.js";
import { RateLimiter } from "./services/rate-limiter.js";
import type { Services } from "./services/services.js";

export interface ContextOverrides {
  clock?: Clock;
  /** log2 of scrypt's N; tests use a small one. */
  passwordHashCost?: number;
}

export interface Stores {
  users: UserStore;
  devices: DeviceStore;
  tokens: TokenStore;
  uia: UiaStore;
}

export interface AppContext {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly log: Logger;
  readonly db: Db;
  readonly stores: Stores;
  readonly services: Services;
  /** Stops timers and background work (the database is closed by the homeserver). */
  close(): Promise<void>;
}

export function createContext(config: Config, secrets: Secrets, db: Db, log: Logger, overrides: ContextOverrides = {}): AppContext {
  const clock = overrides.clock ?? systemClock;
  const stores: Stores = {
    users: new UserStore(db),
    devices: new DeviceStore(db),
    tokens: new TokenStore(db),
    uia: new UiaStore(db),
  };
  const hasher = new PasswordHasher(overrides.passwordHashCost);
  const rateLimiter = new RateLimiter(
    {
      enabled: config.rate_limits.enabled,
      exemptUsers: config.rate_limits.exempt_users,
      kinds: { message: config.rate_limits.message, login: config.rate_limits.login, registration: config.rate_limits.registration },
    },
    clock,
  );
  const auth = new AuthService(db, stores.tokens, stores.users, stores.devices, clock, {
    accessTokenLifetimeMs: config.tokens.access_token_lifetime_ms,
    refreshTokenLifetimeMs: config.tokens.refresh_token_lifetime_ms,
  });
  const login = new LoginService(db, stores.users, stores.devices, stores.tokens, auth, hasher, clock, {
    serverName: config.server_name,
    passwordEnabled: config.password.enabled,
    loginTokenLifetimeMs: config.tokens.login_token_lifetime_ms,
  });
  const uia = new UiaService(stores.uia, buildUiaCheckers({ login, uiaStore: stores.uia, clock }), clock);
  const registration = new RegistrationService(db, stores.users, stores.devices, stores.uia, auth, hasher, clock, {
    serverName: config.server_name,
    enabled: config.registration.enabled,
    tokensRequired: config.registration.tokens_required,
    allowGuests: config.registration.allow_guests,
    sharedSecret: config.registration.shared_secret,
    passwordMinLength: config.password.minimum_length,
  });
  const devices = new DeviceService(db, stores.devices, auth);
  const accounts = new AccountService(db, stores.users, devices, auth, hasher, registration);

  const services: Services = { clock, rateLimiter, auth, uia, registration, login, devices, accounts };
  return {
    config,
    secrets,
    log,
    db,
    stores,
    services,
    close: async () => undefined,
  };
}
