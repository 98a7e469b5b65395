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
import { Notifier } from "./notifier/notifier.js";
import { EventStore } from "./storage/event-store.js";
import { FilterStore } from "./storage/filter-store.js";
import { RoomStore } from "./storage/room-store.js";
import { StateStore } from "./storage/state-store.js";
import { StreamIdGenerator } from "./storage/stream-ids.js";
import { CreateRoomService } from "./services/rooms/create-room.js";
import { CurrentStateCache } from "./services/rooms/current-state.js";
import { EventBuilder } from "./services/rooms/event-builder.js";
import { EventFormatter } from "./services/rooms/event-formatter.js";
import { EventPersister } from "./services/rooms/event-persister.js";
import { EventSender } from "./services/rooms/event-sender.js";
import { MembershipService } from "./services/rooms/membership.js";
import { redactionHook } from "./services/rooms/redaction-hook.js";
import { RoomLinearizer } from "./services/rooms/room-linearizer.js";
import { RoomReads } from "./services/rooms/room-reads.js";
import { RoomStateReader } from "./services/rooms/room-state-reader.js";
import { RoomWrites } from "./services/rooms/room-writes.js";
import { VisibilityService } from "./services/rooms/visibility.js";
import { FilterService } from "./services/sync/filter-service.js";
import { SyncRooms } from "./services/sync/sync-rooms.js";
import { SyncService } from "./services/sync/sync-service.js";

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
  events: EventStore;
  states: StateStore;
  rooms: RoomStore;
  filters: FilterStore;
}

/** The positions of the streams kept in the database. */
export interface Streams {
  events: StreamIdGenerator;
}

export interface AppContext {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly log: Logger;
  readonly db: Db;
  readonly stores: Stores;
  readonly services: Services;
  readonly notifier: Notifier;
  readonly streams: Streams;
  /** Stops timers and background work (the database is closed by the homeserver). */
  close(): Promise<void>;
}

export async function createContext(config: Config, secrets: Secrets, db: Db, log: Logger, overrides: ContextOverrides = {}): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock;
  const stores: Stores = {
    users: new UserStore(db),
    devices: new DeviceStore(db),
    tokens: new TokenStore(db),
    uia: new UiaStore(db),
    events: new EventStore(db),
    states: new StateStore(db),
    rooms: new RoomStore(db),
    filters: new FilterStore(db),
  };
  const streams: Streams = {
    events: await StreamIdGenerator.fromTable(db.kysely, "events", "stream_ordering"),
  };
  const notifier = new Notifier({ events: streams.events.current });
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

  // Rooms: the persistence pipeline and what is built on it.
  const linearizer = new RoomLinearizer();
  const heads = new CurrentStateCache(stores.rooms, stores.events, stores.states);
  const persister = new EventPersister(db, stores.events, stores.states, stores.rooms, streams.events, heads, notifier, clock, config.server_name);
  persister.addHook(redactionHook(stores.events));
  const sender = new EventSender(new EventBuilder(config, secrets), persister, heads, stores.events, linearizer, clock);
  const reader = new RoomStateReader(stores.events);
  const formatter = new EventFormatter(stores.events, stores.rooms, clock);
  const visibility = new VisibilityService(stores.events, stores.states);
  const membership = new MembershipService(sender, heads, reader, stores.rooms, stores.users, config.server_name);
  const createRoom = new CreateRoomService(sender, persister, linearizer, stores.rooms, stores.users, clock, config.server_name);
  createRoom.wire(membership, {
    checkAliasFree: async () => undefined,
    createAlias: async () => undefined,
  });
  accounts.setRoomActions(membership);
  const roomWrites = new RoomWrites(sender, heads, reader, stores.events);
  const roomReads = new RoomReads(heads, reader, stores.events, stores.states, stores.rooms, formatter, visibility);
  const filters = new FilterService(stores.filters);
  const sync = new SyncService(notifier, stores.rooms, new SyncRooms(stores.events, stores.states, stores.rooms, heads, roomReads, formatter, visibility));

  const services: Services = {
    clock,
    rateLimiter,
    auth,
    uia,
    registration,
    login,
    devices,
    accounts,
    createRoom,
    membership,
    roomWrites,
    roomReads,
    filters,
    sync,
  };
  return {
    config,
    secrets,
    log,
    db,
    stores,
    services,
    notifier,
    streams,
    close: async () => notifier.close(),
  };
}
