import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { choosesTiers, compilersDeferred, deferCompilers, resumeCompilers } from "../../src/compiler-tiers.js";

// V8's own view of a function: %GetOptimizationStatus, whose bit 4 (16) says "optimized code".
setFlagsFromString("--allow-natives-syntax");
const optimizationStatus = new Function("f", "return %GetOptimizationStatus(f)") as (f: unknown) => number;
const OPTIMIZED = 16;

/** A fresh function made hot: called until V8 would have optimized it many times over. */
function heatFreshFunction(): unknown {
  const sum = new Function("n", "let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s;") as (n: number) => number;
  for (let round = 0; round < 20_000; round++) sum(50);
  return sum;
}

describe("compiler tiers while the server loads", () => {
  it("runs only the interpreter while deferred, and optimizes again once resumed", () => {
    deferCompilers([]);
    assert.equal(compilersDeferred(), true);
    const coldWhileDeferred = heatFreshFunction();
    assert.equal(optimizationStatus(coldWhileDeferred) & OPTIMIZED, 0, "optimized while the compilers were held back");
    resumeCompilers();
    assert.equal(compilersDeferred(), false);
    const hotAfter = heatFreshFunction();
    assert.notEqual(optimizationStatus(hotAfter) & OPTIMIZED, 0, "not optimized once the compilers were back");
  });

  it("leaves the compilers alone when Node was started with a flag for them", () => {
    deferCompilers(["--max-opt=2"]);
    assert.equal(compilersDeferred(), false);
    for (const option of ["--no-turbofan", "--max-opt=1", "--jitless", "--maglev", "--no_opt", "--sparkplug"]) assert.equal(choosesTiers([option]), true, option);
    for (const option of ["--max-semi-space-size=2", "--import", "tsx", "--enable-source-maps", ""]) assert.equal(choosesTiers([option]), false, option);
  });
});
