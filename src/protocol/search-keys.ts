/**
 * What server-side search covers (client-server API "Server Side Search", category `room_events`):
 * `content.body` of m.room.message, `content.name` of m.room.name, and for m.room.topic `content.topic`
 * together with the `text/plain` body of `content["m.topic"]`.
 */
import { isJsonObject, type JsonObject } from "./json.js";

export type SearchKey = "content.body" | "content.name" | "content.topic";

export const SEARCH_KEYS: readonly SearchKey[] = ["content.body", "content.name", "content.topic"];

/** The event types whose text is searchable. */
export const SEARCHABLE_TYPES: ReadonlySet<string> = new Set(["m.room.message", "m.room.name", "m.room.topic"]);

/** The searchable key and text of an event, or undefined when it has none. */
export function searchableText(type: string, content: JsonObject): { key: SearchKey; text: string } | undefined {
  switch (type) {
    case "m.room.message":
      return nonEmpty("content.body", content["body"]);
    case "m.room.name":
      return nonEmpty("content.name", content["name"]);
    case "m.room.topic": {
      const parts: string[] = [];
      if (typeof content["topic"] === "string") parts.push(content["topic"]);
      const plain = plainTopic(content["m.topic"]);
      // `topic` SHOULD duplicate the text/plain representation; index it once when it does.
      if (plain !== undefined && !parts.includes(plain)) parts.push(plain);
      return nonEmpty("content.topic", parts.join("\n"));
    }
    default:
      return undefined;
  }
}

/**
 * What an event gives the index: messages are searched when they are not state, names and topics as
 * the room's state events (a state-keyed m.room.message or a name without a state key gives nothing).
 */
export function searchableTextOfEvent(event: { type: string; state_key?: unknown; content?: unknown }): { key: SearchKey; text: string } | undefined {
  if (!SEARCHABLE_TYPES.has(event.type) || !isJsonObject(event.content)) return undefined;
  const isState = typeof event.state_key === "string";
  return (event.type === "m.room.message") !== isState ? searchableText(event.type, event.content) : undefined;
}

function nonEmpty(key: SearchKey, value: unknown): { key: SearchKey; text: string } | undefined {
  return typeof value === "string" && value.trim().length > 0 ? { key, text: value } : undefined;
}

/** The text/plain body of an `m.topic` content block (a representation without mimetype is text/plain). */
function plainTopic(block: unknown): string | undefined {
  if (!isJsonObject(block)) return undefined;
  const texts = block["m.text"];
  if (!Array.isArray(texts)) return undefined;
  for (const representation of texts) {
    if (!isJsonObject(representation) || typeof representation["body"] !== "string") continue;
    const mimetype = representation["mimetype"];
    if (mimetype === undefined || mimetype === "text/plain") return representation["body"];
  }
  return undefined;
}
