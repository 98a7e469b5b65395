/** The store of memberships in rooms this server is not in (remote invites, knocks), on both databases. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { OutOfBandMembershipStore, type OutOfBandMembership } from "../../src/storage/out-of-band-membership-store.js";

const invite: OutOfBandMembership = {
  userId: "@bob:here",
  roomId: "!room:there",
  roomVersion: "10",
  membership: "invite",
  eventId: "$invite",
  event: { type: "m.room.member", sender: "@alice:there", state_key: "@bob:here", content: { membership: "invite" }, depth: 7n as unknown as number },
  strippedState: [{ type: "m.room.name", state_key: "", sender: "@alice:there", content: { name: "Room" } }],
  servers: ["there", "elsewhere"],
  streamOrdering: 41,
};

for (const kind of DATABASE_KINDS) {
  describe(`out-of-band memberships on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("stores a membership, replaces it on the next change, lists a user's in stream order and removes one", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const store = new OutOfBandMembershipStore(db);
        await store.put(db.kysely, invite);
        await store.put(db.kysely, { ...invite, roomId: "!other:there", streamOrdering: 40 });
        const read = await store.get("@bob:here", "!room:there");
        assert.deepEqual(read, { ...invite, event: { ...invite.event, depth: 7 } }, "bigint depth is stored as a number");

        await store.put(db.kysely, { ...invite, membership: "leave", eventId: "$leave", strippedState: [], streamOrdering: 42 });
        const mine = await store.ofUser("@bob:here");
        assert.deepEqual(mine.map((m) => [m.roomId, m.membership, m.streamOrdering]), [["!other:there", "invite", 40], ["!room:there", "leave", 42]]);
        assert.deepEqual(await store.ofUser("@carol:here"), []);

        await store.remove(db.kysely, "@bob:here", "!room:there");
        assert.equal(await store.get("@bob:here", "!room:there"), undefined);
        assert.equal((await store.ofUser("@bob:here")).length, 1);
      } finally {
        await cleanup();
      }
    });
  });
}
