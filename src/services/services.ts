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
import type { CreateRoomService } from "./rooms/create-room.js";
import type { MembershipService } from "./rooms/membership.js";
import type { RoomReads } from "./rooms/room-reads.js";
import type { RoomWrites } from "./rooms/room-writes.js";
import type { FilterService } from "./sync/filter-service.js";
import type { SyncService } from "./sync/sync-service.js";

export interface Services {
  readonly clock: Clock;
  readonly rateLimiter: RateLimiter;
  readonly auth: AuthService;
  readonly uia: UiaService;
  readonly registration: RegistrationService;
  readonly login: LoginService;
  readonly devices: DeviceService;
  readonly accounts: AccountService;
  readonly createRoom: CreateRoomService;
  readonly membership: MembershipService;
  readonly roomWrites: RoomWrites;
  readonly roomReads: RoomReads;
  readonly filters: FilterService;
  readonly sync: SyncService;
}
