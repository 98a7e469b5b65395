/** Loaded by sdk-client.ts before the SDK runs (see below). */
import { sep } from "node:path";

/**
 * The SDK arms timers it never clears: an abort timer of 60-82 s for every HTTP request (its ponyfill of
 * AbortSignal.timeout, unlike Node's own, keeps the process alive), a 5-minute one for every live event that
 * failed to decrypt (Rust crypto waiting for a late key to a verification event) and a 6-hour capabilities poll.
 * A test file that is done would wait minutes for them to fire before its process exits. Timers the SDK itself
 * creates are unref'd: while a test runs, the server's listening socket and the clients' requests keep the process
 * alive anyway.
 */
const SDK_FILES = `${sep}node_modules${sep}matrix-js-sdk${sep}`;

type TimerFunction = (this: unknown, ...args: unknown[]) => NodeJS.Timeout;

function calledFromSdk(wrapper: TimerFunction): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const trace: { stack?: string } = {};
  Error.captureStackTrace(trace, wrapper);
  Error.stackTraceLimit = limit;
  return trace.stack?.includes(SDK_FILES) ?? false;
}

function unrefTimersFromSdk<F extends typeof setTimeout | typeof setInterval>(original: F): F {
  const call = original as unknown as TimerFunction;
  const wrapper: TimerFunction = function (this: unknown, ...args: unknown[]) {
    const timer = call.apply(this, args);
    if (calledFromSdk(wrapper)) timer.unref();
    return timer;
  };
  return Object.assign(wrapper, original) as unknown as F;
}

const patched = Symbol.for("tessera.test.unrefSdkTimers");
const globals = globalThis as typeof globalThis & { [patched]?: true };
if (!globals[patched]) {
  globals[patched] = true;
  globalThis.setTimeout = unrefTimersFromSdk(globalThis.setTimeout);
  globalThis.setInterval = unrefTimersFromSdk(globalThis.setInterval);
}
