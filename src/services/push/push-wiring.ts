/**
 * Push wired in one place (context.ts hands over config and shared parts): the push rules API and
 * m.push_rules in /sync; evaluation of every new event at persist time (after the redaction hook, which
 * decides whether a redaction applies); unread counts and /notifications; pushers, removed with their
 * device, token or account, and delivery to push gateways in the background from the stored push
 * actions (never on the send path).
 */
import type { Config } from "../../config/schema.js";
import { subsystemLogger, type Logger } from "../../logger.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { PushActionStore } from "../../storage/push-action-store.js";
import type { PushRuleStore } from "../../storage/push-rule-store.js";
import type { PusherStore } from "../../storage/pusher-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { UserStore } from "../../storage/user-store.js";
import type { AccountService } from "../accounts/account-service.js";
import type { DeviceService } from "../accounts/device-service.js";
import type { Clock } from "../clock.js";
import { IpRangeFilter } from "../ip-range-filter.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventFormatter } from "../rooms/event-formatter.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { SyncService } from "../sync/sync-service.js";
import type { AccountDataService } from "../user-data/account-data-service.js";
import { NotificationsService } from "./notifications-service.js";
import { pushEvaluationHook, type IgnoringSender } from "./push-evaluation-hook.js";
import { PushRuleService } from "./push-rule-service.js";
import { PushRulesCache } from "./push-rules-cache.js";
import { pushRulesSyncContributor } from "./push-rules-sync.js";
import { BadgeCounter } from "./pusher-badge.js";
import { EventFactsReader } from "./pusher-event-facts.js";
import { PushGatewayClient } from "./pusher-gateway.js";
import { PusherSender } from "./pusher-sender.js";
import { PusherService } from "./pusher-service.js";
import { unreadSyncContributor } from "./unread-sync.js";
import { RecentPushActions } from "./recent-push-actions.js";
import { StagedPushActions } from "./staged-push-actions.js";

export interface PushDeps {
  config: Config;
  db: Db;
  stores: { pushRules: PushRuleStore; pushActions: PushActionStore; pushers: PusherStore; users: UserStore; events: EventStore; rooms: RoomStore };
  accountDataStream: StreamIdGenerator;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  accountData: AccountDataService;
  persister: EventPersister;
  sync: SyncService;
  ignoringSender: IgnoringSender;
  formatter: EventFormatter;
  devices: DeviceService;
  accounts: AccountService;
  heads: CurrentStateCache;
  reader: RoomStateReader;
  /** Where local users' read receipts move (unread counts kept between syncs must hear of it). */
  readReceipts: { onOwnReadReceiptMoved(listener: (userId: string) => void): void };
}

export interface Push {
  pushRules: PushRuleService;
  notifications: NotificationsService;
  recentPushActions: RecentPushActions;
  stagedPushActions: StagedPushActions;
  pushers: PusherService;
  close(): Promise<void>;
}

export async function wirePush(deps: PushDeps): Promise<Push> {
  const { config, db, stores, notifier, clock } = deps;
  const pushRulesCache = new PushRulesCache(stores.pushRules, notifier);
  const pushRules = new PushRuleService(db, stores.pushRules, deps.accountDataStream, notifier, pushRulesCache);
  deps.accountData.addManagedReader("m.push_rules", async (userId) => ({ global: await pushRules.ruleset(userId) }));
  // Every event after this position goes through the hook below, which logs its push actions.
  const recentActions = new RecentPushActions(notifier.position("events"));
  deps.readReceipts.onOwnReadReceiptMoved((userId) => recentActions.readMoved(userId));
  deps.persister.addHook(pushEvaluationHook(stores.pushActions, stores.events, pushRulesCache, deps.ignoringSender, config.server_name, recentActions));
  deps.sync.addContributor(pushRulesSyncContributor(pushRules, stores.pushRules));
  deps.sync.addContributor(unreadSyncContributor(stores.pushActions, db.statementsAreRoundTrips, recentActions));
  const notifications = new NotificationsService(stores.pushActions, stores.events, stores.rooms, deps.formatter);
  const stagedPushActions = new StagedPushActions(db, stores.pushActions, () => notifier.position("events"), subsystemLogger(deps.log, "push"), config.push.staged_actions_move_ms);

  const pushers = new PusherService(db, stores.pushers, stores.users, clock, () => notifier.position("events"));
  deps.devices.onDevicesDeleted(pushers.devicesDeletedHook());
  deps.accounts.onTokensRevoked(pushers.tokensRevokedHook());
  deps.accounts.onDeactivated(pushers.deactivationHook());
  const pushConfig = config.push;
  const pushGateway = new PushGatewayClient(new IpRangeFilter(pushConfig.ip_range_blocklist, pushConfig.ip_range_allowlist), { timeoutMs: pushConfig.request_timeout_ms });
  const pusherSender = new PusherSender(
    db,
    stores.pushers,
    notifier,
    pushGateway,
    new BadgeCounter(stores.pushActions, stores.rooms, pushConfig.group_unread_count_by_room),
    new EventFactsReader(stores.events, stores.rooms, deps.heads, deps.reader),
    clock,
    subsystemLogger(deps.log, "push"),
    { includeContent: pushConfig.include_content, initialBackoffMs: pushConfig.retry_initial_ms, maxBackoffMs: pushConfig.retry_max_ms, giveUpAfterMs: pushConfig.give_up_after_ms },
  );
  pushers.onChange((userIds) => pusherSender.reload(userIds));
  if (pushConfig.enabled) await pusherSender.start();
  return {
    pushRules,
    notifications,
    recentPushActions: recentActions,
    stagedPushActions,
    pushers,
    close: async () => {
      await stagedPushActions.close();
      await pusherSender.close();
      pushGateway.close();
    },
  };
}
