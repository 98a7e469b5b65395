/**
 * Every service the HTTP layer may call, as built by context.ts. One interface so that route files
 * take what they need from `request.deps` and tests can see what exists.
 */
import type { AccountService } from "./accounts/account-service.js";
import type { AuthService } from "./accounts/auth-service.js";
import type { DeviceService } from "./accounts/device-service.js";
import type { LoginService } from "./accounts/login-service.js";
import type { RegistrationService } from "./accounts/registration-service.js";
import type { UiaService } from "./accounts/uia-service.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Clock } from "./clock.js";

export interface Services {
  readonly clock: Clock;
  readonly rateLimiter: RateLimiter;
  readonly auth: AuthService;
  readonly uia: UiaService;
  readonly registration: RegistrationService;
  readonly login: LoginService;
  readonly devices: DeviceService;
  readonly accounts: AccountService;
}
