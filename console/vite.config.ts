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
    rollupOptions: {
      onwarn(warning, warn) {
        // GraphiQL's UI libraries mark modules "use client" (React Server Components): no
        // meaning in a client-only bundle, one warning per module otherwise
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  esbuild: { jsx: "automatic" },
});
