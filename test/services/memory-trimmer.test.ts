/**
 * Free C heap pages handed back to the kernel (native/release-memory.cc, memory-trimmer.ts): the module
 * gives back pages freed between live allocations, which free() alone keeps, and compacts the
 * JavaScript heap beyond what a full collection does; a started server trims
 * once and then on its interval, not at all with the interval 0, and stops with the server. Without a
 * C compiler or Node's headers the module is not built and these tests skip (CI requires it:
 * TEST_REQUIRE_NATIVE=1).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { MemoryTrimmer, releaseMemoryModule } from "../../src/memory-trimmer.js";
import { startTestServer } from "../harness/server.js";

const built = existsSync(fileURLToPath(new URL("../../build/release-memory.node", import.meta.url)));
if (!built && process.env["TEST_REQUIRE_NATIVE"] === "1") throw new Error("build/release-memory.node is required (TEST_REQUIRE_NATIVE=1) but was not built (npm ci runs scripts/build-native.mjs)");
const skip = built ? false : "build/release-memory.node was not built (no C compiler or no Node.js headers): free heap pages stay with the process";

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("memory trimming", { skip }, () => {
  it("gives back heap pages that free() keeps between live allocations", async () => {
    const module = releaseMemoryModule();
    assert.ok(module);
    module.trim();
    // 64 MiB in blocks below glibc's mmap threshold, so they come from a heap arena; a block allocated
    // after them stays alive so that freeing them leaves a hole below the arena's top, which free()
    // alone never returns.
    let blocks: Buffer[] | undefined = Array.from({ length: 1024 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(1));
    const pin = Buffer.allocUnsafeSlow(64 * 1024).fill(2);
    assert.equal(blocks.length, 1024);
    blocks = undefined;
    const before = process.memoryUsage.rss();
    // V8 frees the dead buffers' memory on a background thread after the collection; on a busy machine
    // that can come after the first trim (seen on CI), so collect and trim until it has (or 4 s pass).
    let after = before;
    for (let attempt = 0; attempt < 80 && before - after <= 32 * 1024 * 1024; attempt++) {
      collectGarbage();
      await sleep(50);
      module.trim();
      after = process.memoryUsage.rss();
    }
    assert.ok(before - after > 32 * 1024 * 1024, `rss ${before} -> ${after}: expected more than 32 MiB back`);
    assert.equal(pin[0], 2);
  });

  it("compacts the JavaScript heap: gives back pages that a full collection keeps", () => {
    const module = releaseMemoryModule();
    assert.ok(module);
    // Fragment the old generation (objects that survive two collections, every 16th kept alive), then
    // a full collection of the kind Node offers; V8 keeps the sparse pages and the pooled ones.
    let survivors: object[][] | undefined = Array.from({ length: 64 }, () => Array.from({ length: 8192 }, (_, i) => ({ i, pad: [i, i + 1, i + 2] })));
    collectGarbage();
    collectGarbage();
    const kept = survivors.map((chunk) => chunk.filter((_, i) => i % 16 === 0));
    survivors = undefined;
    // Full collections until one gives nothing more back: what Node's collections can do, done.
    let collected = Infinity;
    for (let attempt = 0; attempt < 10; attempt++) {
      collectGarbage();
      const size = getHeapStatistics().total_heap_size;
      if (size >= collected) break;
      collected = size;
    }
    module.compactHeap();
    const compacted = getHeapStatistics().total_heap_size;
    assert.ok(collected - compacted > 8 * 1024 * 1024, `heap ${collected} -> ${compacted}: expected more than 8 MiB back`);
    assert.equal(kept.length, 64);
  });

  it("compacts only where trimming is on, counting compactions", () => {
    const on = new MemoryTrimmer(60_000);
    assert.equal(on.compactHeap(), true);
    assert.equal(on.compactions, 1);
    assert.ok(on.trims >= 1, "trims after compacting");
    const off = new MemoryTrimmer(0);
    assert.equal(off.compactHeap(), false);
    assert.equal(off.compactions, 0);
  });

  it("trims once a server has started, then on the interval, and stops with the server", async () => {
    const server = await startTestServer({ config: { memory_trim_interval_ms: 50 } });
    try {
      assert.equal(server.server.memoryTrimmer.available, true);
      const atStart = server.server.memoryTrimmer.trims;
      assert.ok(atStart >= 1, "trimmed once listening");
      await sleep(300);
      assert.ok(server.server.memoryTrimmer.trims >= atStart + 2, `trims ${server.server.memoryTrimmer.trims}`);
    } finally {
      await server.destroy();
    }
    const afterStop = server.server.memoryTrimmer.trims;
    await sleep(200);
    assert.equal(server.server.memoryTrimmer.trims, afterStop);
  });

  it("never trims with the interval 0", async () => {
    const server = await startTestServer({ config: { memory_trim_interval_ms: 0 } });
    try {
      await sleep(100);
      assert.equal(server.server.memoryTrimmer.trims, 0);
    } finally {
      await server.destroy();
    }
  });

  it("gives the young generation back once quiet after work, not while busy, not when switched off", async () => {
    const youngSize = (): number => getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
    const watch = { intervalMs: 100, utilization: 0.05, looks: 2 };
    // Work whose allocations survive a while, as requests in flight do: V8 grows the young generation.
    const work = (): void => {
      let kept: object[] = [];
      for (let round = 0; round < 100; round++) {
        for (let i = 0; i < 20_000; i++) kept.push({ i, pad: [i] });
        if (kept.length > 200_000) kept = kept.slice(100_000);
      }
    };
    const busyFor = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // Nine milliseconds of work, then one turn of the event loop.
        const until = Date.now() + 9;
        let spins = 0;
        while (Date.now() < until) spins++;
        assert.ok(spins > 0);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    compactHeap();
    const smallest = youngSize();

    const off = new MemoryTrimmer(0, watch);
    off.start();
    work();
    await sleep(600);
    assert.equal(off.reductions, 0, "switched off");
    off.stop();

    compactHeap();
    const trimmer = new MemoryTrimmer(60_000, watch);
    trimmer.start();
    try {
      work();
      const grown = youngSize();
      assert.ok(grown > smallest, `young generation ${smallest} -> ${grown}: expected it to grow`);
      // Busy nine tenths of the time: grown, but not quiet.
      await busyFor(600);
      assert.equal(trimmer.reductions, 0, "reduced while busy");
      for (let waited = 0; waited < 40 && (trimmer.reductions === 0 || youngSize() >= grown); waited++) await sleep(100);
      assert.equal(trimmer.reductions, 1);
      assert.ok(youngSize() < grown, `young generation ${grown} -> ${youngSize()}: expected it given back`);
      // Quiet and small: nothing more to give back.
      await sleep(600);
      assert.equal(trimmer.reductions, 1, "reduced again without new work");
    } finally {
      trimmer.stop();
    }
  });
});

function compactHeap(): void {
  releaseMemoryModule()?.compactHeap();
}

