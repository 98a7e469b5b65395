import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { globMatches } from "../../../src/protocol/push/glob.js";
import { splitDottedPath, valueAtPath } from "../../../src/protocol/push/dotted-path.js";

describe("push glob matching (appendices, modules/push.md event_match)", () => {
  it("matches the spec's content.topic example `lunc?*` against the whole value, case-insensitively", () => {
    for (const topic of ["Lunch plans", "LUNCH", "lunch"]) assert.ok(globMatches("lunc?*", topic), topic);
    for (const topic of [" lunch", "lunc"]) assert.ok(!globMatches("lunc?*", topic), topic);
  });

  it("matches the spec's content.body example `ex*ple` on word-bounded substrings", () => {
    for (const body of ["An example event.", "exple", "An exciting triple-whammy"]) assert.ok(globMatches("ex*ple", body, true), body);
    for (const body of ["Anexample event", "An examples event", "texple"]) assert.ok(!globMatches("ex*ple", body, true), body);
  });

  it("treats `?` as exactly one character (one code point) and everything else literally", () => {
    assert.ok(globMatches("a?c", "a😀c"));
    assert.ok(!globMatches("a?c", "ac"));
    assert.ok(globMatches("a.c", "a.c"));
    assert.ok(!globMatches("a.c", "abc"), ". is literal");
    assert.ok(globMatches("[abc]", "[abc]"), "no character classes");
    assert.ok(!globMatches("[abc]", "a"));
    assert.ok(globMatches("a+(b)", "A+(B)"));
    assert.ok(globMatches("multi*line", "multi\nline"), "* spans newlines");
  });

  it("lets a pattern that starts or ends with a non-word character match next to a word", () => {
    assert.ok(globMatches("@room", "hey x@room!", true));
    assert.ok(globMatches("cake", "cake-lie", true));
    assert.ok(!globMatches("cake", "cakes", true));
    assert.ok(!globMatches("cake", "pancake", true));
    assert.ok(globMatches("cake", "_pan cake_", true) === false, "_ is a word character");
  });
});

describe("dot-separated property paths (appendices)", () => {
  it("splits on unescaped dots and unescapes \\. and \\\\ only", () => {
    assert.deepEqual(splitDottedPath("content.body"), ["content", "body"]);
    assert.deepEqual(splitDottedPath("content.m\\.relates_to"), ["content", "m.relates_to"]);
    assert.deepEqual(splitDottedPath("content.m\\\\foo"), ["content", "m\\foo"]);
    assert.deepEqual(splitDottedPath("content.m\\x"), ["content", "m\\x"], "other escapes stay as written");
    assert.deepEqual(splitDottedPath("content.m\\\\.x"), ["content", "m\\", "x"], "an escaped backslash does not escape the dot after it");
    assert.deepEqual(splitDottedPath("type"), ["type"]);
  });

  it("reads values only through objects", () => {
    const event = { content: { "m.relates_to": { rel_type: "m.replace" }, list: [1], "m\\foo": "bar" } };
    assert.equal(valueAtPath(event, splitDottedPath("content.m\\.relates_to.rel_type")), "m.replace");
    assert.equal(valueAtPath(event, splitDottedPath("content.m\\\\foo")), "bar");
    assert.equal(valueAtPath(event, splitDottedPath("content.list.0")), undefined);
    assert.equal(valueAtPath(event, splitDottedPath("content.missing.x")), undefined);
    assert.equal(valueAtPath(event, splitDottedPath("content.toString")), undefined, "no inherited properties");
  });
});
