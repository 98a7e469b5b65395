/**
 * matrix-js-sdk as a real client of a test server: create a client for a user, start it with an initial
 * sync limit, wait until what a test expects shows up in its state, stop it cleanly. Every HTTP exchange
 * the SDK makes is recorded, so tests can check which requests it sent (e.g. that it kept its sync token).
 * Unencrypted rooms only: the Rust crypto is never initialised here.
 */
import "./sdk-timers.js";
import "./node22-polyfills.js";
import {
  ClientEvent,
  createClient,
  type ICreateClientOpts,
  type IStartClientOpts,
  type MatrixClient,
  SyncState,
} from "matrix-js-sdk";
import { logger as sdkGlobalLogger, type Logger } from "matrix-js-sdk/lib/logger.js";

/** One HTTP exchange of the SDK: method, path and query, status (0 when the connection failed). */
export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly status: number;
}

const verbose = process.env["TESSERA_TEST_SDK_LOG"] === "1";

function makeLogger(prefix: string): Logger {
  const write =
    (level: "debug" | "info" | "warn" | "error") =>
    (...msg: unknown[]): void => {
      if (verbose) console[level](prefix, ...msg);
    };
  const log: Logger = {
    trace: write("debug"),
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    getChild: (namespace: string) => makeLogger(`${prefix}${namespace}`),
  };
  return log;
}

// Modules of the SDK that log through its global logger (or children of it, which copy its method
// factory and reset their own level) instead of the client's.
if (!verbose) {
  // The global logger is a loglevel logger underneath; its typing hides the loglevel API.
  const loglevel = sdkGlobalLogger as unknown as { methodFactory: () => () => undefined; rebuild(): void };
  loglevel.methodFactory = () => () => undefined;
  loglevel.rebuild();
}

/**
 * fetch, retried once when a kept-alive connection turns out to have been closed by the server before it
 * answered (a restarted server). Browsers do this for every request on a reused connection; Node's fetch
 * does not, so without it a test would see a failure no user of Element would.
 */
async function fetchLikeABrowser(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code !== "UND_ERR_SOCKET" || init?.signal?.aborted) throw error;
    return fetch(input, init);
  }
}

export interface SdkCredentials {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

export interface WaitOptions {
  /** Milliseconds before the wait fails (default 10 s). */
  readonly timeoutMs?: number;
}

/** How long the SDK waits for the server on one /sync long-poll; short so that stop() and restarts are quick. */
const POLL_TIMEOUT_MS = 2_000;

export class SdkClient {
  readonly client: MatrixClient;
  readonly requests: RecordedRequest[] = [];
  private started = false;

  constructor(
    readonly baseUrl: string,
    readonly credentials: SdkCredentials,
    options: Partial<ICreateClientOpts> = {},
  ) {
    const fetchFn: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      try {
        const response = await fetchLikeABrowser(input, init);
        this.requests.push({ method, url, status: response.status });
        return response;
      } catch (error) {
        this.requests.push({ method, url, status: 0 });
        throw error;
      }
    };
    this.client = createClient({
      baseUrl,
      userId: credentials.userId,
      accessToken: credentials.accessToken,
      deviceId: credentials.deviceId,
      logger: makeLogger(`[sdk ${credentials.userId}]`),
      fetchFn,
      timelineSupport: true,
      ...options,
    });
  }

  get userId(): string {
    return this.credentials.userId;
  }

  /** Starts syncing and resolves once the first sync is processed (PREPARED). */
  async start(options: IStartClientOpts = {}): Promise<void> {
    if (this.started) throw new Error("already started");
    this.started = true;
    const prepared = this.waitForSyncState(SyncState.Prepared, { timeoutMs: 20_000 });
    await this.client.startClient({ initialSyncLimit: 20, pollTimeout: POLL_TIMEOUT_MS, ...options });
    await prepared;
  }

  /** Resolves when the client reaches `state` (now or later). */
  waitForSyncState(state: SyncState, options: WaitOptions = {}): Promise<void> {
    if (this.client.getSyncState() === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off(ClientEvent.Sync, onSync);
        reject(new Error(`${this.userId}: sync state ${state} not reached in ${options.timeoutMs ?? 10_000} ms (now ${this.client.getSyncState()})`));
      }, options.timeoutMs ?? 10_000);
      const onSync = (now: SyncState): void => {
        if (now !== state) return;
        clearTimeout(timer);
        this.client.off(ClientEvent.Sync, onSync);
        resolve();
      };
      this.client.on(ClientEvent.Sync, onSync);
    });
  }

  /**
   * Resolves with the first value of `check` that is not undefined, null or false (the SDK's getters
   * answer null for state they do not have yet), evaluated now, after every sync the client
   * processes and at short intervals (local echoes and pagination change state without a sync).
   */
  waitFor<T>(description: string, check: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(interval);
        this.client.off(ClientEvent.Sync, evaluate);
      };
      const evaluate = (): void => {
        let value: T | undefined | null | false;
        try {
          value = check();
        } catch (error) {
          cleanup();
          reject(error as Error);
          return;
        }
        if (value === undefined || value === null || value === false) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.userId}: timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const interval = setInterval(evaluate, 50);
      this.client.on(ClientEvent.Sync, evaluate);
      evaluate();
    });
  }

  /** The /sync requests the SDK sent, in order. */
  syncRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.url.pathname.endsWith("/sync"));
  }

  /** Stops syncing; the client can no longer be used. */
  stop(): void {
    this.client.stopClient();
    this.client.removeAllListeners();
  }
}

/** Registers a user through the SDK (open registration, dummy stage) and returns its credentials. */
export async function registerWithSdk(baseUrl: string, username: string, password: string): Promise<SdkCredentials> {
  const anonymous = createClient({ baseUrl, logger: makeLogger(`[sdk register ${username}]`) });
  let session: string | undefined;
  try {
    await anonymous.registerRequest({ username, password });
    throw new Error("registration without auth should answer 401 with the flows");
  } catch (error) {
    const data = (error as { data?: { session?: string } }).data;
    if (!data?.session) throw error;
    session = data.session;
  }
  const done = await anonymous.registerRequest({ username, password, auth: { type: "m.login.dummy", session } });
  if (!done.access_token || !done.device_id) throw new Error(`register ${username}: no token or device in ${JSON.stringify(done)}`);
  return { userId: done.user_id, accessToken: done.access_token, deviceId: done.device_id };
}

/** Logs in with a password through the SDK, making a new device. */
export async function loginWithSdk(baseUrl: string, user: string, password: string): Promise<SdkCredentials> {
  const anonymous = createClient({ baseUrl, logger: makeLogger(`[sdk login ${user}]`) });
  const response = await anonymous.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user }, password });
  return { userId: response.user_id, accessToken: response.access_token, deviceId: response.device_id };
}
