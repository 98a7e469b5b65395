/**
 * Loads the configuration: schema defaults, then the YAML file, then TESSERA_* environment variables
 * (`TESSERA_SERVER_NAME`, nested keys with `__`: `TESSERA_REGISTRATION__ENABLED=true`). Validated once
 * and frozen. This module is the only code that reads process.env.
 */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Raw = Record<string, unknown>;

function isPlainObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Environment values are YAML scalars, so `true`, `8008` and `[a, b]` get their natural types. */
function envOverrides(env: NodeJS.ProcessEnv): Raw {
  const out: Raw = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("TESSERA_") || value === undefined) continue;
    const path = name.slice("TESSERA_".length).toLowerCase().split("__");
    let node = out;
    for (const part of path.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Raw;
    }
    node[path[path.length - 1] as string] = parseYaml(value) as unknown;
  }
  return out;
}

function merge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `  ${key}: ${issue.message}`;
    })
    .join("\n");
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** Validates a raw object (from YAML, environment or a test) into a frozen Config. */
export function validateConfig(raw: unknown, source = "configuration"): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(`invalid ${source}:\n${describeIssues(result.error)}`);
  return deepFreeze(result.data);
}

export function readConfigFile(path: string): Raw {
  if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed !== null && parsed !== undefined && !isPlainObject(parsed)) {
    throw new ConfigError(`config file ${path} must hold a mapping of keys`);
  }
  return (parsed ?? {}) as Raw;
}

/** defaults -> YAML file (if given) -> TESSERA_* environment. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = path ? readConfigFile(path) : {};
  return validateConfig(merge(fromFile, envOverrides(env)), path ?? "configuration");
}
