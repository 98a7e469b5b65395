/** Push rule actions (modules/push.md "Actions", "Historical Actions"). */
import { isJsonObject } from "../json.js";
import { PushRuleError, type PushAction } from "./types.js";

/** Actions that older versions defined and that MUST be ignored (stripped). */
const HISTORICAL = new Set(["dont_notify", "coalesce"]);

/** The actions without the historical ones: `["dont_notify"]` is the same as `[]`. */
export function stripHistoricalActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((a) => !(typeof a === "string" && HISTORICAL.has(a)));
}

export function actionsNotify(actions: readonly PushAction[]): boolean {
  return actions.includes("notify");
}

/** A `highlight` tweak with no value means true; without one, highlight is false. */
export function actionsHighlight(actions: readonly PushAction[]): boolean {
  return actions.some((a) => typeof a === "object" && a.set_tweak === "highlight" && (a.value === undefined || a.value === true));
}

/**
 * Checks actions a client sent: a list of `notify` (or a historical string, accepted and dropped) and
 * `{set_tweak: string, ...}` objects. Other strings are refused, as Synapse refuses them; the spec
 * defines no others.
 */
export function parseActions(raw: unknown): PushAction[] {
  if (!Array.isArray(raw)) throw new PushRuleError("actions must be a list");
  const out: PushAction[] = [];
  for (const action of raw) {
    if (typeof action === "string") {
      if (action === "notify") out.push(action);
      else if (!HISTORICAL.has(action)) throw new PushRuleError(`Unrecognised action ${action}`);
    } else if (isJsonObject(action) && typeof action["set_tweak"] === "string") {
      out.push(action as PushAction);
    } else {
      throw new PushRuleError("Each action must be a string or an object with set_tweak");
    }
  }
  return out;
}
