import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReadBatcher } from "../../src/services/read-batcher.js";

describe("ReadBatcher", () => {
  it("reads the keys asked in one turn of the event loop together and answers each caller its own", async () => {
    const calls: number[][] = [];
    const batcher = new ReadBatcher<number, string>(async (keys) => {
      calls.push([...keys]);
      return keys.map((key) => `value ${key}`);
    });
    const answers = await Promise.all([batcher.load(1), batcher.load(2), batcher.load(3)]);
    assert.deepEqual(answers, ["value 1", "value 2", "value 3"]);
    assert.deepEqual(calls, [[1, 2, 3]]);
    // A later request, after the batch was read, starts a batch of its own.
    assert.equal(await batcher.load(4), "value 4");
    assert.deepEqual(calls, [[1, 2, 3], [4]]);
  });

  it("takes requests made while a batch is being read into the next one", async () => {
    const calls: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new ReadBatcher<number, number>(async (keys) => {
      calls.push([...keys]);
      if (calls.length === 1) await gate;
      return keys.map((key) => key * 10);
    });
    const first = batcher.load(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = Promise.all([batcher.load(2), batcher.load(3)]);
    release();
    assert.equal(await first, 10);
    assert.deepEqual(await second, [20, 30]);
    assert.deepEqual(calls, [[1], [2, 3]]);
  });

  it("fails every caller of a batch whose read fails, and reads the next batch afresh", async () => {
    let fail = true;
    const batcher = new ReadBatcher<number, number>(async (keys) => {
      if (fail) throw new Error("storage is down");
      return keys.map((key) => key + 1);
    });
    const results = await Promise.allSettled([batcher.load(1), batcher.load(2)]);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
    fail = false;
    assert.equal(await batcher.load(5), 6);
    // A reader that throws before returning a promise fails its callers the same way.
    const throwing = new ReadBatcher<number, number>(() => {
      throw new Error("thrown at once");
    });
    await assert.rejects(() => throwing.load(1), /thrown at once/);
  });

  it("reads each key at once on its own when told not to hold reads back", async () => {
    const calls: number[][] = [];
    const batcher = new ReadBatcher<number, number>(async (keys) => {
      calls.push([...keys]);
      return keys.map((key) => -key);
    }, false);
    const first = batcher.load(1);
    // Already asked, before the turn of the event loop ends.
    assert.deepEqual(calls, [[1]]);
    assert.deepEqual(await Promise.all([first, batcher.load(2)]), [-1, -2]);
    assert.deepEqual(calls, [[1], [2]]);
  });
});
