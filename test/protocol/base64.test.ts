import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64, decodeBase64Any, decodeBase64Url, encodeBase64, encodeBase64Url } from "../../src/protocol/base64.js";

// content/appendices.md, "Unpadded Base64": UNPADDED_BASE64(input) = output.
const APPENDIX_EXAMPLES: [string, string][] = [
  ["", ""],
  ["f", "Zg"],
  ["fo", "Zm8"],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg"],
  ["fooba", "Zm9vYmE"],
  ["foobar", "Zm9vYmFy"],
];

// The same inputs with RFC 4648 padding, which decoders SHOULD accept ("with or without padding").
const PADDED: [string, string][] = [
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
];

describe("unpadded base64", () => {
  it("encodes the appendix examples", () => {
    for (const [input, output] of APPENDIX_EXAMPLES) {
      assert.equal(encodeBase64(Buffer.from(input)), output);
      assert.equal(encodeBase64Url(Buffer.from(input)), output); // no 62nd/63rd character in these
    }
  });

  it("decodes the appendix examples, unpadded and padded, in both alphabets", () => {
    for (const [input, output] of [...APPENDIX_EXAMPLES, ...PADDED]) {
      assert.equal(decodeBase64(output).toString(), input, output);
      assert.equal(decodeBase64Url(output).toString(), input, output);
      assert.equal(decodeBase64Any(output).toString(), input, output);
    }
  });

  it("refuses padding where RFC 4648 puts none or other than it puts", () => {
    for (const bad of ["Zm8==", "Zm9v=", "=", "Zg=", "Zm9vY===", "Z"]) {
      assert.throws(() => decodeBase64(bad), bad);
      assert.throws(() => decodeBase64Url(bad), bad);
    }
  });

  it("encodes a view into a larger buffer, not the whole buffer", () => {
    const whole = Buffer.from("xxfoobarxx");
    assert.equal(encodeBase64(whole.subarray(2, 8)), "Zm9vYmFy");
    assert.equal(encodeBase64Url(new Uint8Array(whole.buffer, whole.byteOffset + 2, 3)), "Zm9v");
  });

  it("uses + and / in the standard alphabet, - and _ in the URL-safe one", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64(bytes), "+/+/");
    assert.equal(encodeBase64Url(bytes), "-_-_");
    assert.deepEqual([...decodeBase64("+/+/")], [0xfb, 0xff, 0xbf]);
    assert.deepEqual([...decodeBase64Url("-_-_")], [0xfb, 0xff, 0xbf]);
    assert.deepEqual([...decodeBase64Any("-_-_")], [0xfb, 0xff, 0xbf]);
    assert.deepEqual([...decodeBase64Any("+/+/")], [0xfb, 0xff, 0xbf]);
  });

  it("rejects characters outside the alphabet instead of skipping them", () => {
    for (const bad of ["Zm9v!", "Zm 9v", "Zm9v\n", "Zm9v\t", "Zm9\u00e9", "Zm.9", "Zm9v-", "Zm9v_", "Zg=a", "=Zg", "Zm=9v"]) {
      assert.throws(() => decodeBase64(bad), Error, JSON.stringify(bad));
    }
    for (const bad of ["Zm9v!", "Zm 9v", "Zm9v+", "Zm9v/", "Zg=a", "Zm9\u00e9"]) {
      assert.throws(() => decodeBase64Url(bad), Error, JSON.stringify(bad));
    }
    // Mixing the two alphabets is neither.
    assert.throws(() => decodeBase64Any("+/-_"));
  });

  it("rejects lengths no encoding produces (one character past a group of four)", () => {
    for (const bad of ["Z", "Zm9vY", "Zm9vYmFyZ", "Z===", "Zm9vY==="]) {
      assert.throws(() => decodeBase64(bad), Error, bad);
      assert.throws(() => decodeBase64Url(bad), Error, bad);
    }
  });

  it("round-trips any bytes and never writes padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const standard = encodeBase64(bytes);
        const urlSafe = encodeBase64Url(bytes);
        assert.match(standard, /^[A-Za-z0-9+/]*$/);
        assert.match(urlSafe, /^[A-Za-z0-9_-]*$/);
        assert.equal(standard.length, Math.ceil((bytes.length * 4) / 3));
        assert.deepEqual(new Uint8Array(decodeBase64(standard)), bytes);
        assert.deepEqual(new Uint8Array(decodeBase64Url(urlSafe)), bytes);
        assert.deepEqual(new Uint8Array(decodeBase64Any(urlSafe)), bytes);
        assert.deepEqual(new Uint8Array(decodeBase64(Buffer.from(bytes).toString("base64"))), bytes); // padded
      }),
      { numRuns: 500 },
    );
  });
});
