import { defineConfig } from "vitest/config";

// The UI is served by Tauri from `dist/` over its own protocol: no dev server URL,
// no network access, relative asset paths.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
