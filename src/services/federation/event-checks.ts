/**
 * Steps 1–3 of the checks on a received PDU (server-server API "Checks performed on receipt of a
 * PDU"): the room version's format and size, then the signatures of every server that must have
 * signed it and the content hash. The protocol check is synchronous, so the keys it will ask for are
 * fetched through the key ring first.
 */
import type { Pdu, RoomEvent } from "../../protocol/event.js";
import { checkEventSignaturesAndHashes, signatureRequirements, type VerifyKey } from "../../protocol/event-signing.js";
import { isJsonObject } from "../../protocol/json.js";
import { checkPduFormat, PduFormatError, toRoomEvent } from "../../protocol/pdu-format.js";
import type { RoomVersion } from "../../protocol/room-versions.js";

/** What the checks need of the key ring: a server's key usable at a time, or a rejection. */
export interface VerifyKeySource {
  verifyKey(serverName: string, keyId: string, at: number): Promise<Uint8Array>;
}

export type CheckedPdu =
  | { readonly ok: true; readonly pdu: Pdu; readonly event: RoomEvent; readonly contentHashValid: boolean }
  | { readonly ok: false; readonly reason: string; readonly badFormat: boolean };

export class EventChecker {
  constructor(private readonly keys: VerifyKeySource) {}

  /** Checks one received PDU; a bad content hash gives its redacted form (`contentHashValid` false). */
  async check(raw: unknown, version: RoomVersion): Promise<CheckedPdu> {
    if (!isJsonObject(raw)) return { ok: false, reason: "a PDU must be a JSON object", badFormat: true };
    // `unsigned` is not covered by signatures and other servers' copies of it mean nothing to us.
    const { unsigned: _unsigned, ...pdu } = raw;
    try {
      checkPduFormat(pdu, version);
    } catch (error) {
      if (error instanceof PduFormatError) return { ok: false, reason: error.message, badFormat: true };
      throw error;
    }
    const lookup = await this.fetchKeys(pdu, version);
    const checked = checkEventSignaturesAndHashes(pdu, version, (server, keyId) => lookup.get(`${server}\u0000${keyId}`));
    if (!checked.ok) return { ok: false, reason: checked.reason, badFormat: false };
    return { ok: true, pdu: checked.event, event: toRoomEvent(checked.event, version, checked.eventId), contentHashValid: checked.contentHashValid };
  }

  /** The keys the signature check will look up; keys that cannot be had are simply absent. */
  private async fetchKeys(pdu: Pdu, version: RoomVersion): Promise<Map<string, VerifyKey>> {
    const out = new Map<string, VerifyKey>();
    for (const requirement of signatureRequirements(pdu, version)) {
      for (const keyId of requirement.keyIds) {
        // The key ring only hands out keys usable at the time asked, so validity is settled here.
        const publicKey = await this.keys.verifyKey(requirement.serverName, keyId, requirement.minimumValidUntilTs).catch(() => undefined);
        if (publicKey) out.set(`${requirement.serverName}\u0000${keyId}`, { publicKey, validUntilTs: Number.MAX_SAFE_INTEGER });
      }
    }
    return out;
  }
}
