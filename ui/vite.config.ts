import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The worker serves dist/ itself; relative asset paths keep it movable.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: { outDir: "dist", emptyOutDir: true },
});
