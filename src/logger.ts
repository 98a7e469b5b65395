/** One named logger per subsystem (pino), all children of the homeserver's root logger. */
import { pino, type Logger } from "pino";

export type { Logger };

export function createRootLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export function subsystemLogger(root: Logger, name: string): Logger {
  return root.child({ subsystem: name });
}
