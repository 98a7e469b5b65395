/**
 * Every store of the homeserver over one database, and the positions of the streams kept in it (read
 * from the tables at start). context.ts opens them once and hands them to the services.
 */
import type { Db } from "./db.js";
import { StreamIdGenerator } from "./stream-ids.js";
import { AccountDataStore } from "./account-data-store.js";
import { CrossSigningStore } from "./cross-signing-store.js";
import { DehydratedDeviceStore } from "./dehydrated-device-store.js";
import { DeviceListStore } from "./device-list-store.js";
import { DeviceStore } from "./device-store.js";
import { DirectoryStore } from "./directory-store.js";
import { E2eKeyStore } from "./e2e-key-store.js";
import { EventStore } from "./event-store.js";
import { EventStreamStore } from "./event-stream-store.js";
import { FilterStore } from "./filter-store.js";
import { MediaStore } from "./media-store.js";
import { PresenceStore } from "./presence-store.js";
import { PushActionStore } from "./push-action-store.js";
import { PushRuleStore } from "./push-rule-store.js";
import { PusherStore } from "./pusher-store.js";
import { ReceiptStore } from "./receipt-store.js";
import { RelationStore } from "./relation-store.js";
import { ReportStore } from "./report-store.js";
import { RoomLookupStore } from "./room-lookup-store.js";
import { RoomStore } from "./room-store.js";
import { SearchStore } from "./search-store.js";
import { ServerNoticeStore } from "./server-notice-store.js";
import { StateStore } from "./state-store.js";
import { ToDeviceStore } from "./to-device-store.js";
import { TokenStore } from "./token-store.js";
import { UiaStore } from "./uia-store.js";
import { UserDirectoryStore } from "./user-directory-store.js";
import { UserStore } from "./user-store.js";

export interface Stores {
  search: SearchStore;
  serverNotices: ServerNoticeStore;
  eventStream: EventStreamStore;
  users: UserStore;
  devices: DeviceStore;
  tokens: TokenStore;
  uia: UiaStore;
  events: EventStore;
  states: StateStore;
  rooms: RoomStore;
  filters: FilterStore;
  directory: DirectoryStore;
  reports: ReportStore;
  roomLookups: RoomLookupStore;
  relations: RelationStore;
  accountData: AccountDataStore;
  userDirectory: UserDirectoryStore;
  receipts: ReceiptStore;
  presence: PresenceStore;
  pushRules: PushRuleStore;
  pushActions: PushActionStore;
  pushers: PusherStore;
  e2eKeys: E2eKeyStore;
  crossSigning: CrossSigningStore;
  deviceLists: DeviceListStore;
  toDevice: ToDeviceStore;
  dehydratedDevices: DehydratedDeviceStore;
  media: MediaStore;
}

/** The positions of the streams kept in the database. */
export interface Streams {
  events: StreamIdGenerator;
  receipts: StreamIdGenerator;
  presence: StreamIdGenerator;
  account_data: StreamIdGenerator;
  device_lists: StreamIdGenerator;
  to_device: StreamIdGenerator;
}

export function openStores(db: Db): Stores {
  return {
    search: new SearchStore(db),
    serverNotices: new ServerNoticeStore(db),
    eventStream: new EventStreamStore(db),
    users: new UserStore(db),
    devices: new DeviceStore(db),
    tokens: new TokenStore(db),
    uia: new UiaStore(db),
    events: new EventStore(db),
    states: new StateStore(db),
    rooms: new RoomStore(db),
    filters: new FilterStore(db),
    directory: new DirectoryStore(db),
    reports: new ReportStore(db),
    roomLookups: new RoomLookupStore(db),
    relations: new RelationStore(db),
    accountData: new AccountDataStore(db),
    userDirectory: new UserDirectoryStore(db),
    receipts: new ReceiptStore(db),
    presence: new PresenceStore(db),
    pushRules: new PushRuleStore(db),
    pushActions: new PushActionStore(db),
    pushers: new PusherStore(db),
    e2eKeys: new E2eKeyStore(db),
    crossSigning: new CrossSigningStore(db),
    deviceLists: new DeviceListStore(db),
    toDevice: new ToDeviceStore(db),
    dehydratedDevices: new DehydratedDeviceStore(db),
    media: new MediaStore(db),
  };
}

export async function openStreams(db: Db, stores: Stores): Promise<Streams> {
  return {
    // Memberships in rooms we are not in (remote invites, knocks) take positions on the events stream too.
    events: await StreamIdGenerator.fromTables(db.kysely, [
      ["events", "stream_ordering"],
      ["out_of_band_memberships", "stream_ordering"],
    ]),
    receipts: await StreamIdGenerator.fromTable(db.kysely, "receipts", "stream_id"),
    presence: await StreamIdGenerator.fromTable(db.kysely, "presence", "stream_id"),
    // Push rule changes take account data positions too (they reach clients as m.push_rules).
    account_data: await StreamIdGenerator.fromTables(db.kysely, [
      ["account_data", "stream_id"],
      ["push_rules_stream", "stream_id"],
    ]),
    device_lists: await StreamIdGenerator.fromTable(db.kysely, "device_list_changes", "stream_id"),
    to_device: new StreamIdGenerator(await stores.toDevice.highestPosition()),
  };
}
