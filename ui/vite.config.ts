/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The worker serves dist/ itself; relative asset paths keep it movable.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: { outDir: "dist", emptyOutDir: true },
  // Component tests (Vitest + Testing Library in jsdom); the browser tests are tests/e2e.mjs.
  test: { environment: "jsdom", include: ["tests/components/**/*.test.{ts,tsx}"] },
});
