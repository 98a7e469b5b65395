// Lists files under a folder whose names end with a suffix, sorted, for the test and bench runners.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function findFiles(dir, suffix) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findFiles(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}
