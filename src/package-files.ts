/**
 * Files of the installed package that are not JavaScript: package.json, and the native pieces `npm ci`
 * builds into build/. They are found from the package's root, the nearest directory above this module
 * that holds Tessera's package.json: the module runs from src/ (tests) and from the bundle in dist/
 * (`npm start`, scripts/build.mjs), where its place in the tree is not the same.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "tessera") return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Tessera's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The absolute path of `relative` (slash-separated) in the package, e.g. "build/release-memory.node". */
export function packageFile(relative: string): string {
  return join(packageRoot(), ...relative.split("/"));
}
