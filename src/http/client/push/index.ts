/** Push rules, notifications and pushers. */
import type { Route } from "../../route.js";
import { deletePushRule } from "./deletePushRule.js";
import { getNotifications } from "./getNotifications.js";
import { getPushRule } from "./getPushRule.js";
import { getPushRuleActions } from "./getPushRuleActions.js";
import { getPushRules } from "./getPushRules.js";
import { getPushRulesGlobal } from "./getPushRulesGlobal.js";
import { getPushers } from "./getPushers.js";
import { isPushRuleEnabled } from "./isPushRuleEnabled.js";
import { postPusher } from "./postPusher.js";
import { setPushRule } from "./setPushRule.js";
import { setPushRuleActions } from "./setPushRuleActions.js";
import { setPushRuleEnabled } from "./setPushRuleEnabled.js";

export const pushRoutes = [
  getPushRules,
  getPushRulesGlobal,
  getPushRule,
  setPushRule,
  deletePushRule,
  isPushRuleEnabled,
  setPushRuleEnabled,
  getPushRuleActions,
  setPushRuleActions,
  getNotifications,
  getPushers,
  postPusher,
] as Route<unknown>[];
