// Built by `make console` into dist/, which the gateway serves at / (gateway/http/console.py).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 2000, // the Explorer's GraphiQL chunk, loaded on that page only
  },
  esbuild: { jsx: "automatic" },
});
