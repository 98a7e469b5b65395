/**
 * User-interactive authentication (client-server API "User-Interactive Authentication API").
 * An endpoint lists its flows; the first request without `auth` gets 401 with the flows and a new
 * session; each completed stage is recorded in the session; the request proceeds once every stage of
 * one flow is done. A session is bound to the method and path it started with.
 */
import { createHash, randomBytes } from "node:crypto";
import { MatrixError } from "../../errors.js";
import type { UiaStore } from "../../storage/uia-store.js";
import type { Clock } from "../clock.js";

export type UiaStageType = "m.login.password" | "m.login.dummy" | "m.login.registration_token" | "m.login.terms";

export interface UiaFlow {
  stages: UiaStageType[];
}

/** Checks one stage's auth dict; returns a result to remember (e.g. the user it authenticated) or throws. */
export type StageChecker = (auth: Record<string, unknown>, session: { userId: string | null; results: Record<string, unknown> }) => Promise<unknown>;

export interface UiaRequest {
  method: string;
  path: string;
  /** The `auth` dict of the request body, if any. */
  auth: unknown;
  /** The rest of the body: remembered with the session (registration parameters). */
  clientDict: Record<string, unknown>;
  /** The logged-in user, for endpoints that re-authenticate an existing user. */
  userId: string | null;
}

export interface UiaOutcome {
  sessionId: string;
  /** Results of each completed stage, keyed by stage type. */
  results: Record<string, unknown>;
  /** The client dict of the first request of the session. */
  clientDict: Record<string, unknown>;
}

/** A 401 that asks for (more) authentication: its body has no errcode, only the UIA state. */
export class UiaChallenge extends MatrixError {
  constructor(private readonly body: Record<string, unknown>) {
    super(401, "M_FORBIDDEN", "Authentication required", body);
  }

  override toJSON(): Record<string, unknown> {
    return this.body;
  }
}

const SESSION_LIFETIME_MS = 24 * 3600_000;

export class UiaService {
  constructor(
    private readonly store: UiaStore,
    private readonly checkers: Readonly<Partial<Record<UiaStageType, StageChecker>>>,
    private readonly clock: Clock,
  ) {}

  /** Runs UIA for a request: returns once a flow is complete, otherwise throws the 401 the spec describes. */
  async authenticate(request: UiaRequest, flows: readonly UiaFlow[], params: Record<string, unknown> = {}): Promise<UiaOutcome> {
    const auth = typeof request.auth === "object" && request.auth !== null ? (request.auth as Record<string, unknown>) : undefined;
    const fingerprint = createHash("sha256").update(`${request.method} ${request.path}`).digest("base64url");
    const sessionIdIn = auth?.["session"];
    let session = typeof sessionIdIn === "string" ? await this.store.get(sessionIdIn) : undefined;

    if (typeof sessionIdIn === "string" && !session) {
      throw new MatrixError(400, "M_UNRECOGNIZED", "Unknown UIA session");
    }
    if (session && session.createdTs + SESSION_LIFETIME_MS < this.clock.now()) {
      throw new MatrixError(400, "M_UNRECOGNIZED", "UIA session expired");
    }
    if (session && session.requestFingerprint !== fingerprint) {
      throw new MatrixError(403, "M_FORBIDDEN", "Requested operation has changed during the UI authentication session");
    }
    if (session && session.userId !== request.userId) {
      throw new MatrixError(403, "M_FORBIDDEN", "UIA session belongs to another user");
    }
    if (!session) {
      session = {
        sessionId: randomBytes(18).toString("base64url"),
        createdTs: this.clock.now(),
        userId: request.userId,
        requestFingerprint: fingerprint,
        completedStages: [],
        clientDict: request.clientDict,
        results: {},
      };
      await this.store.create(session);
    }

    // The 401 carries the flows, the session and the stages done; with errcode/error only when a stage failed.
    const challenge = (extra: Record<string, unknown> = {}, error?: MatrixError): MatrixError => {
      const body = { flows, params, session: session.sessionId, completed: session.completedStages, ...extra };
      if (error) return new MatrixError(401, error.errcode, error.message, body);
      return new UiaChallenge(body);
    };

    const stage = auth?.["type"];
    if (typeof stage === "string") {
      const allowed = flows.some((flow) => flow.stages.includes(stage as UiaStageType));
      const checker = this.checkers[stage as UiaStageType];
      if (!allowed || !checker) {
        throw challenge({}, new MatrixError(400, "M_UNRECOGNIZED", `Unsupported authentication stage ${stage}`));
      }
      try {
        const result = await checker(auth as Record<string, unknown>, session);
        if (!session.completedStages.includes(stage)) session.completedStages.push(stage);
        session.results[stage] = result ?? true;
        await this.store.update(session.sessionId, session.completedStages, session.results);
      } catch (error) {
        if (error instanceof MatrixError && error.status !== 500) throw challenge({}, error);
        throw error;
      }
    }

    const done = flows.some((flow) => flow.stages.every((s) => session.completedStages.includes(s)));
    if (!done) throw challenge();
    return { sessionId: session.sessionId, results: session.results, clientDict: session.clientDict };
  }

  /** Ends a session once the operation it authorised has happened. */
  async finish(sessionId: string): Promise<void> {
    await this.store.delete(sessionId);
  }
}
