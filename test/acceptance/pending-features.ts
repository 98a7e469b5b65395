/**
 * Parts of the acceptance scenario that wait for endpoints still being built. Each is `todo` (run, but
 * its failure does not fail the suite) until the server lists the route's operationId, and then an
 * ordinary test: a feature that lands broken turns the suite red.
 */
import { clientRoutes } from "../../src/http/client/index.js";

const operationIds = new Set(clientRoutes.map((route) => route.operationId));

function waitsFor(feature: string, ...anyOf: string[]): string | false {
  return anyOf.some((id) => operationIds.has(id)) ? false : `waits for ${feature}`;
}

export const pending = {
  threads: waitsFor("relations and threads (GET /relations, GET /threads)", "getThreadRoots"),
  typing: waitsFor("typing notifications (PUT /rooms/{roomId}/typing/{userId})", "setTyping"),
  receipts: waitsFor("read receipts (POST /rooms/{roomId}/receipt/{receiptType}/{eventId})", "postReceipt"),
  // Spec v1.19 names it setProfileField; earlier versions setDisplayName.
  profile: waitsFor("profiles (PUT /profile/{userId}/displayname)", "setProfileField", "setDisplayName"),
  upgrades: waitsFor("room upgrades (POST /rooms/{roomId}/upgrade)", "upgradeRoom"),
} as const;
