/**
 * AppContext: the one place where stores, services and clients are constructed and wired together
 * (the stores opened by storage/stores.ts; media, push, E2EE and federation by their wiring modules).
 * Tests may pass overrides (a clock, a cheaper password hash).
 */
import type { Config } from "./config/schema.js";
import type { Secrets } from "./config/secrets.js";
import type { Logger } from "./logger.js";
import type { Db } from "./storage/db.js";
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
import { PositionMemo } from "./services/sync/position-memo.js";
import { SyncStore } from "./storage/sync-store.js";
import { AliasService } from "./services/directory/alias-service.js";
import { RoomDirectoryService } from "./services/directory/room-directory.js";
import { RoomPreview } from "./services/directory/room-preview.js";
import { RoomSummaryService } from "./services/directory/room-summary-service.js";
import { SpaceHierarchyService } from "./services/directory/space-hierarchy.js";
import { RemoteAliases } from "./services/directory/remote-aliases.js";
import { RemoteHierarchy } from "./services/directory/remote-hierarchy.js";
import { RemotePublicRooms } from "./services/directory/remote-public-rooms.js";
import { RoomLookups } from "./services/rooms/room-lookups.js";
import { RoomUpgradeService } from "./services/rooms/room-upgrade.js";
import { UpgradeCarryOver } from "./services/rooms/upgrade-carry-over.js";
import { ReportService } from "./services/reports/report-service.js";
import { RelationAggregator } from "./services/relations/relation-aggregator.js";
import { RelationsService } from "./services/relations/relations-service.js";
import { threadsHook } from "./services/relations/threads-hook.js";
import { AccountDataService } from "./services/user-data/account-data-service.js";
import { AccountDataSync } from "./services/user-data/account-data-sync.js";
import { IgnoredUsers } from "./services/user-data/ignored-users.js";
import { TagService } from "./services/user-data/tag-service.js";
import { ProfileService } from "./services/profile/profile-service.js";
import { userDirectoryHook } from "./services/user-directory/user-directory-hook.js";
import { UserDirectoryService } from "./services/user-directory/user-directory-service.js";
import { subsystemLogger } from "./logger.js";
import { autoJoinHook } from "./services/accounts/auto-join.js";
import { ReceiptService } from "./services/ephemeral/receipt-service.js";
import { receiptSyncContributor } from "./services/ephemeral/receipt-sync.js";
import { TypingService } from "./services/ephemeral/typing-service.js";
import { typingSyncContributor } from "./services/ephemeral/typing-sync.js";
import { presenceActivityHook } from "./services/presence/activity-hook.js";
import { PresenceService } from "./services/presence/presence-service.js";
import { presenceSyncContributor } from "./services/presence/presence-sync.js";
import { searchIndexHook } from "./services/search/search-index-hook.js";
import { SearchIndexer } from "./services/search/search-indexer.js";
import { openStores, openStreams, type Stores, type Streams } from "./storage/stores.js";
import { wirePush } from "./services/push/push-wiring.js";
import { wireE2ee } from "./services/e2ee/e2ee-wiring.js";
import { SearchContextBuilder } from "./services/search/search-context.js";
import { SearchService } from "./services/search/search-service.js";
import { OpenIdService } from "./services/openid/openid-service.js";
import { TurnService } from "./services/voip/turn-service.js";
import { WhoisService } from "./services/admin/whois-service.js";
import { AccountModerationService } from "./services/admin/account-moderation-service.js";
import { ServerNoticesService } from "./services/notices/server-notices-service.js";
import { EventStreamService } from "./services/legacy/event-stream-service.js";
import { InitialSyncService } from "./services/legacy/initial-sync-service.js";
import { InitialSyncExtras } from "./services/legacy/initial-sync-extras.js";
import { wireFederationRooms } from "./services/federation/room-join-wiring.js";
import { wireFederationCore } from "./services/federation/federation-core-wiring.js";
import { wireFederationEdus } from "./services/federation/edu-wiring.js";
import { FederatedRoomStore } from "./storage/federated-room-store.js";
import { TESSERA_VERSION } from "./version.js";
import { RemoteKeys } from "./services/e2ee/remote-keys.js";
import { DeviceListAnnouncer } from "./services/e2ee/device-list-announcer.js";
import { wireMedia } from "./services/media/media-wiring.js";

export interface ContextOverrides {
  clock?: Clock;
  /** log2 of scrypt's N; tests use a small one. */
  passwordHashCost?: number;
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
  const stores = openStores(db);
  const streams = await openStreams(db, stores);
  const notifier = new Notifier({
    events: streams.events.current,
    receipts: streams.receipts.current,
    presence: streams.presence.current,
    account_data: streams.account_data.current,
    device_lists: streams.device_lists.current,
    to_device: streams.to_device.current,
    // Typing lives in memory; its positions follow the wall clock so they keep growing across restarts.
    typing: Date.now(),
  });
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
  if (config.registration.auto_join_rooms.length > 0) {
    registration.onNewAccount(autoJoinHook(config.registration.auto_join_rooms, membership, subsystemLogger(log, "auto-join")));
  }
  const createRoom = new CreateRoomService(sender, persister, linearizer, stores.rooms, stores.users, clock, config.server_name, config.default_room_version);
  // Aliases and the room directory: createRoom's alias and publication, joins by alias.
  const aliases = new AliasService(db, stores.rooms, heads, reader, sender, clock, config.server_name);
  const roomDirectory = new RoomDirectoryService(stores.directory, stores.rooms, stores.users, stores.events, heads, aliases, {
    serverName: config.server_name,
    publishRequiresAdmin: config.room_directory.publish_requires_admin,
  });
  createRoom.wire(membership, aliases, roomDirectory);
  membership.setAliasResolver((roomIdOrAlias) => aliases.resolveWithServers(roomIdOrAlias));
  accounts.setRoomActions(membership);
  const roomWrites = new RoomWrites(sender, heads, reader, stores.events, config.server_name);
  roomWrites.setAliasChecker((alias) => aliases.canonicalAliasTarget(alias));
  // Room extras: summaries, space hierarchies, upgrades, lookups by time and shared rooms, reports.
  const roomPreview = new RoomPreview(reader, stores.rooms, stores.directory);
  const roomSummaries = new RoomSummaryService(heads, reader, aliases, roomPreview);
  const spaceHierarchy = new SpaceHierarchyService(heads, reader, roomPreview);
  const roomUpgrades = new RoomUpgradeService(createRoom, sender, heads, reader, aliases, roomDirectory, subsystemLogger(log, "room-upgrade"), config.server_name);
  const roomLookups = new RoomLookups(heads, reader, stores.events, stores.roomLookups);
  const reports = new ReportService(stores.reports, heads, reader, stores.events, stores.rooms, stores.users, visibility, clock, config.server_name);
  const roomReads = new RoomReads(heads, reader, stores.events, stores.states, stores.rooms, formatter, visibility);
  const filters = new FilterService(stores.filters);
  // Relations: threads kept per room, bundled aggregations on every served event, /relations and /threads.
  persister.addHook(threadsHook(stores.relations));
  const aggregator = new RelationAggregator(stores.events, stores.relations, formatter);
  formatter.addUnsignedProvider((events, viewer) => aggregator.bundle(events, viewer));
  const relations = new RelationsService(heads, reader, stores.events, stores.relations, formatter, visibility);
  // What the long-polls one event wakes all read (changed rooms, a room's new events, their formatting), read once.
  const syncMemo = new PositionMemo(notifier);
  const syncStore = new SyncStore(db);
  const syncRooms = new SyncRooms(stores.events, stores.states, stores.rooms, heads, roomReads, formatter, visibility, syncMemo, clock, syncStore);
  const sync = new SyncService(notifier, stores.rooms, syncRooms, stores.events, syncStore, syncMemo, Math.max(4, db.connections));

  // Ephemeral events: presence, typing, receipts and read markers.
  const presence = new PresenceService(
    db,
    stores.presence,
    stores.rooms,
    stores.users,
    streams.presence,
    notifier,
    clock,
    { enabled: config.presence.enabled, idleMs: config.presence.idle_timeout_ms, offlineMs: config.presence.offline_timeout_ms, serverName: config.server_name },
    subsystemLogger(log, "presence"),
  );
  await presence.start();
  persister.addHook(presenceActivityHook(presence));
  const typing = new TypingService(notifier, stores.rooms, (userId) => presence.bumpActive(userId));
  const receiptStreams = { receipts: streams.receipts, accountData: streams.account_data };
  const receipts = new ReceiptService(db, stores.receipts, stores.events, stores.rooms, receiptStreams, notifier, clock, (userId) => presence.bumpActive(userId));
  sync.addContributor(typingSyncContributor(typing));
  sync.addContributor(receiptSyncContributor(stores.receipts));
  sync.addContributor(presenceSyncContributor(presence, stores.presence, clock));

  // User data: account data, tags and ignored users; profiles and the user directory.
  const accountData = new AccountDataService(db, stores.accountData, streams.account_data, notifier);
  // Room upgrades: a user's tags and m.direct entries follow them into the replacement room.
  persister.addHook(new UpgradeCarryOver(accountData, subsystemLogger(log, "room-upgrade")).hook(stores.events, config.server_name));
  const tags = new TagService(accountData);
  const ignoredUsers = new IgnoredUsers(stores.accountData, notifier);
  visibility.addExclusion(ignoredUsers.exclusion);
  sync.addContributor(new AccountDataSync(stores.accountData));
  sync.addContributor(ignoredUsers.syncContributor());
  const userDirectory = new UserDirectoryService(stores.userDirectory, config.server_name);
  persister.addHook(userDirectoryHook(stores.userDirectory, stores.users, stores.events, config.server_name));
  const profiles = new ProfileService(db, stores.users, stores.rooms, membership, userDirectory, config.server_name, log.child({ subsystem: "profile" }));

  // Search, OpenID, TURN, whois, server notices and the legacy endpoints. The search index hook runs
  // after the redaction hook, which decides whether a redaction applies.
  // SQLite indexes the events built here after they commit (search-indexer.ts); PostgreSQL writes
  // their rows in the event's own statement.
  const searchIndexer = db.dialect === "sqlite" ? new SearchIndexer(stores.search, log.child({ subsystem: "search" })) : undefined;
  await searchIndexer?.catchUp();
  persister.addHook(searchIndexHook(stores.search, stores.events, searchIndexer));
  const search = new SearchService(
    stores.search,
    stores.events,
    stores.rooms,
    visibility,
    formatter,
    roomReads,
    new SearchContextBuilder(stores.events, stores.states, visibility, formatter),
    searchIndexer,
  );
  const openId = new OpenIdService(stores.tokens, clock, config.server_name);
  const turn = new TurnService(config.turn, clock);
  const whois = new WhoisService(stores.devices, config.server_name);
  const accountModeration = new AccountModerationService(db, stores.users, auth, config.server_name);
  const serverNotices = new ServerNoticesService(config.server_notices, config.server_name, db, stores.users, stores.serverNotices, stores.events, createRoom, membership, sender, heads, reader, clock);
  membership.addLeaveCheck((roomId, userId, current) => serverNotices.checkLeave(roomId, userId, current));
  const eventStream = new EventStreamService(notifier, stores.rooms, stores.eventStream, stores.events, heads, reader, visibility, formatter, roomReads);
  const initialSync = new InitialSyncService(notifier, stores.rooms, stores.events, heads, reader, visibility, formatter, roomReads);
  initialSync.setExtras(new InitialSyncExtras(stores.accountData, stores.presence, presence, clock));
  serverNotices.setAccountData(accountData);

  // Push rules, their evaluation at persist time, unread counts, /notifications and pushers.
  const push = await wirePush({
    config,
    db,
    stores,
    accountDataStream: streams.account_data,
    notifier,
    clock,
    log,
    accountData,
    persister,
    sync,
    ignoringSender: ignoredUsers.ignoringSender,
    formatter,
    devices,
    accounts,
    heads,
    reader,
    readReceipts: receipts,
  });
  const { pushRules, notifications, pushers, recentPushActions, stagedPushActions } = push;

  // End-to-end encryption: device keys and lists, to-device messages, cross-signing, key backups.
  const { deviceLists, deviceKeys, keyQuery, crossSigning, toDevice, dehydratedDevices, keyBackup } = wireE2ee({ config, db, stores, streams, notifier, clock, sync, syncMemo, devices, accounts });

  // Federation: keys, discovery, the signing client, request verification, the outbox and its sender.
  const federation = wireFederationCore({ config, signingKey: secrets.signingKey, db, clock, log, version: TESSERA_VERSION });
  const { serverKeys, client: federationClient, keyRing, auth: federationAuth, notary, sender: federationSender, transactions } = federation;
  // Keys of remote users come from their servers.
  const remoteKeys = new RemoteKeys(federationClient);
  keyQuery.setRemote(remoteKeys);
  deviceKeys.setRemote(remoteKeys);
  // Other servers' aliases, published rooms and spaces, asked of them for our clients.
  aliases.setRemote(new RemoteAliases(federationClient, clock));
  roomDirectory.setRemote(new RemotePublicRooms(federationClient, clock));
  spaceHierarchy.setRemote(new RemoteHierarchy(federationClient, clock, config.server_name));
  toDevice.setFederation(federationSender);
  transactions.addEduHandler("m.direct_to_device", (origin, content) => toDevice.receiveRemote(origin, content));
  // Device lists across servers: ours announced to servers sharing a room, theirs recorded for our users.
  deviceLists.setAnnouncer(new DeviceListAnnouncer(stores.deviceLists, stores.e2eKeys, stores.devices, stores.crossSigning, federationSender, config.server_name));
  transactions.addEduHandler("m.device_list_update", (origin, content) => deviceLists.recordRemoteChange(origin, content));
  transactions.addEduHandler("m.signing_key_update", (origin, content) => deviceLists.recordRemoteChange(origin, content));
  // Rooms shared with other servers: joins both ways, room events through the outbox and /send.
  const federationRooms = wireFederationRooms({
    db,
    events: stores.events,
    states: stores.states,
    rooms: stores.rooms,
    heads,
    persister,
    sender,
    linearizer,
    membership,
    reader,
    users: stores.users,
    notifier,
    keyRing,
    client: federationClient,
    federationSender,
    transactions,
    eventStream: streams.events,
    signingKey: secrets.signingKey,
    clock,
    log: subsystemLogger(log, "federation-rooms"),
    serverName: config.server_name,
    partialStateJoins: config.federation.partial_state_joins,
  });
  sync.addContributor(federationRooms.memberships.sync);
  // /messages pages back past a joined room's first events by backfilling from the room's other servers.
  roomReads.setBackfill((roomId, maxDepth, minDepth) => federationRooms.backfiller.backfill(roomId, maxDepth, minDepth));
  roomReads.setFullStateWait((roomId) => federationRooms.partialState.settled(roomId));
  // History fetched from other servers is searchable like the rest.
  federationRooms.addBackfillHook(searchIndexHook(stores.search, stores.events));
  roomLookups.setRemoteLookup((roomId, ts, dir, local) => federationRooms.remoteTimestamps.lookup(roomId, ts, dir, local));
  // Typing, receipts and presence across servers (EDUs both ways; room EDUs under the room's server ACL).
  const federationEdus = wireFederationEdus({
    db,
    heads,
    roomServers: new FederatedRoomStore(stores.events, stores.states),
    acl: federationRooms.acl,
    federationSender,
    transactions,
    typing,
    receipts,
    presence,
    presenceStore: stores.presence,
    presenceDirectory: stores.rooms,
    presenceStream: streams.presence,
    persister,
    localMembers: (roomNid) => stores.rooms.members(roomNid, "join", { localOnly: true }),
    presenceFederation: config.presence.enabled && config.presence.federation,
    notifier,
    clock,
    serverName: config.server_name,
    log: subsystemLogger(log, "federation-edus"),
  });
  await federationSender.start();
  await federationRooms.partialState.resumeAll();

  // The content repository (our media and other servers'), thumbnails and URL previews.
  const { media, mediaUploads, mediaAdmin, mediaMaintenance, thumbnails, urlPreviews } = await wireMedia({
    config,
    db,
    mediaStore: stores.media,
    users: stores.users,
    federationClient,
    federationIps: federation.ips,
    clock,
    log,
  });

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
    aliases,
    roomDirectory,
    roomSummaries,
    spaceHierarchy,
    roomUpgrades,
    roomLookups,
    reports,
    relations,
    accountData,
    tags,
    profiles,
    userDirectory,
    typing,
    receipts,
    presence,
    search,
    openId,
    turn,
    whois,
    accountModeration,
    serverNotices,
    eventStream,
    initialSync,
    pushRules,
    notifications,
    recentPushActions,
    stagedPushActions,
    pushers,
    keyBackup,
    deviceLists,
    deviceKeys,
    keyQuery,
    crossSigning,
    toDevice,
    dehydratedDevices,
    media,
    mediaUploads,
    mediaAdmin,
    mediaMaintenance,
    thumbnails,
    urlPreviews,
    serverKeys,
    federationClient,
    keyRing,
    federationAuth,
    notary,
    transactions,
    federationRooms,
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
    close: async () => {
      federationSender.close();
      federationRooms.partialState.close();
      await push.close();
      await toDevice.flush();
      await searchIndexer?.close();
      typing.close();
      presence.close();
      federationEdus.close();
      await mediaMaintenance.close();
      await notifier.close();
    },
  };
}
