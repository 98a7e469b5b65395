/**
 * What a client sees when this server asked another one on its behalf (an alias, a room directory, a
 * space) and that failed. The remote server's own error text is never passed on (it is not ours to
 * vouch for); only "not found" keeps its meaning. Anything else is a gateway error, as Synapse answers:
 * 504 when the remote server did not answer in time, 502 when it could not be reached or answered
 * with an error or with nonsense.
 */
import { MatrixError } from "../../errors.js";
import { FederationError } from "./federation-client.js";

/** The client error for a failed request to `error.destination`; errors that are not about the remote server are rethrown. */
export function remoteQueryError(error: unknown, notFoundMessage: string): MatrixError {
  if (error instanceof MatrixError) return error;
  if (!(error instanceof FederationError)) throw error;
  if (error.status === 404) return new MatrixError(404, "M_NOT_FOUND", notFoundMessage);
  if (error.status === 0 && /timed out/u.test(error.message)) return new MatrixError(504, "M_UNKNOWN", `Timed out waiting for ${error.destination}`);
  return new MatrixError(502, "M_UNKNOWN", `Failed to get an answer from ${error.destination}`);
}

/** A remote answer that is not the shape the spec gives: the remote server's fault, a 502 for the client. */
export function badRemoteAnswer(destination: string): MatrixError {
  return new MatrixError(502, "M_UNKNOWN", `Invalid answer from ${destination}`);
}
