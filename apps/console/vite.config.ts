import { defineConfig } from 'vite';

// The console is served by the API under /ui/ (apps/api/src/console-route.ts): every asset is built
// here, hashed, and loaded from the same origin (no CDN, no web fonts), so it works offline.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: true },
});
