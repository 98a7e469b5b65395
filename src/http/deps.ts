/**
 * What the HTTP layer needs from the rest of the homeserver: services only, never storage.
 * Built by context.ts; tests may pass their own.
 */
import type { Logger } from "../logger.js";
import type { Config } from "../config/schema.js";
import type { Services } from "../services/services.js";

export interface HttpDeps extends Services {
  readonly config: Config;
  readonly log: Logger;
}
