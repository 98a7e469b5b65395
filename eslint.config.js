// Lint for code quality; the layer rules of ARCHITECTURE.md are enforced by dependency-cruiser
// (.dependency-cruiser.cjs), which `npm run lint` runs after ESLint.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "data/**", "dist/**", "coverage/**", ".tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // Kysely's values come from its CommonJS build (src/storage/kysely.ts says why); types load nothing.
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { paths: [{ name: "kysely", message: "Import Kysely's values from src/storage/kysely.ts.", allowTypeImports: true }] },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Named exports only." },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", module: "writable", require: "readonly" } },
  },
  {
    files: ["src/storage/kysely.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": "off" },
  },
  {
    // Only config/ reads the environment (ARCHITECTURE.md).
    files: ["src/**/*.ts"],
    ignores: ["src/config/**", "src/main.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through src/config." }],
    },
  },
);
