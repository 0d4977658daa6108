import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Built into dist/, which `patrol serve` serves at `/`. Nothing is loaded from elsewhere.
export default defineConfig({
  plugins: [svelte()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    proxy: { "/graphql": { target: "http://127.0.0.1:8080", ws: true } },
  },
});
