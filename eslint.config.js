// Type-aware lint: floating promises and misused promises are bugs in a system whose every call
// spawns or kills a process; stdout belongs to the MCP stdio transport, so library code may not log.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    files: ["src/cli/**", "bench/**", "examples/**", "test/**", "**/*.test.ts"],
    rules: { "no-console": "off" },
  },
  {
    files: ["eslint.config.js", "vitest.config.ts", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Guest code runs inside the sandbox in plain JavaScript (see harness.cjs for why).
    files: ["src/sandbox/guest/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", Buffer: "readonly", globalThis: "readonly" } },
  },
  {
    files: ["src/sandbox/guest/**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { process: "readonly", Buffer: "readonly", globalThis: "readonly", require: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
