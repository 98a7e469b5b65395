/**
 * Inbound federation requests (server-server API "Request Authentication"): the X-Matrix header names
 * the origin server and its key; the signature must cover method, URI, origin, our server name and the
 * body; a `destination` naming another server is refused. Any failure is 401 M_UNAUTHORIZED.
 */
import { MatrixError } from "../../errors.js";
import { isValidServerName } from "../../protocol/identifiers-server-name.js";
import type { JsonValue } from "../../protocol/json.js";
import { parseXMatrix, verifyRequest, XMatrixError, type XMatrixAuth } from "../../protocol/x-matrix.js";
import type { Clock } from "../clock.js";
import type { KeyRing } from "./key-ring.js";

function unauthorized(message: string): MatrixError {
  return new MatrixError(401, "M_UNAUTHORIZED", message);
}

export class RequestAuthenticator {
  private readonly authenticatedListeners: ((origin: string) => void)[] = [];

  constructor(
    private readonly keyRing: KeyRing,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** Called with the origin of every authenticated request (a server that talks to us is up). */
  onAuthenticated(listener: (origin: string) => void): void {
    this.authenticatedListeners.push(listener);
  }

  /** Returns the origin server of a correctly signed request; throws 401 M_UNAUTHORIZED otherwise. */
  async authenticate(method: string, uri: string, authorization: string | string[] | undefined, content: JsonValue | undefined): Promise<string> {
    const headers = authorization === undefined ? [] : Array.isArray(authorization) ? authorization : [authorization];
    let auth: XMatrixAuth | undefined;
    for (const header of headers) {
      try {
        auth = parseXMatrix(header);
        break;
      } catch (error) {
        if (!(error instanceof XMatrixError)) throw error;
      }
    }
    if (!auth) throw unauthorized("Missing or malformed X-Matrix Authorization header");
    if (auth.destination !== undefined && auth.destination !== this.serverName) throw unauthorized("The request is for another server");
    if (!isValidServerName(auth.origin)) throw unauthorized("The origin is not a server name");
    let publicKey: Uint8Array;
    try {
      publicKey = await this.keyRing.verifyKey(auth.origin, auth.key, this.clock.now());
    } catch {
      throw unauthorized(`Cannot find key ${auth.key} of ${auth.origin}`);
    }
    const request = { method, uri, origin: auth.origin, destination: auth.destination ?? this.serverName, ...(content !== undefined ? { content } : {}) };
    if (!verifyRequest(request, auth.sig, publicKey)) throw unauthorized("Invalid request signature");
    for (const listener of this.authenticatedListeners) listener(auth.origin);
    return auth.origin;
  }
}
