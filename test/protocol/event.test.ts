/**
 * The PDU as stored, cached and sent to other servers is without `unsigned`: an event built here (none)
 * is used as it is, one received with it is copied without it and left unchanged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { withoutUnsigned } from "../../src/protocol/event.js";

describe("withoutUnsigned", () => {
  it("returns a PDU without unsigned as it is", () => {
    const pdu = { type: "m.room.message", content: { body: "hi" }, depth: 3 };
    assert.equal(withoutUnsigned(pdu), pdu);
  });

  it("copies a PDU with unsigned without it, leaving the PDU as it was", () => {
    const pdu = { type: "m.room.message", content: { body: "hi" }, unsigned: { age: 5 } };
    const stored = withoutUnsigned(pdu);
    assert.notEqual(stored, pdu);
    assert.deepEqual(stored, { type: "m.room.message", content: { body: "hi" } });
    assert.deepEqual(pdu.unsigned, { age: 5 });
  });

  it("drops an unsigned key even when its value is undefined", () => {
    const pdu = { type: "m.room.message", unsigned: undefined };
    assert.equal(Object.hasOwn(withoutUnsigned(pdu), "unsigned"), false);
  });
});
