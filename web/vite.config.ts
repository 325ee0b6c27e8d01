import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build` writes the app to dist/public, which the server serves at / (src/web/serve.ts).
// `npm run dev` runs this dev server with hot reload in front of a local FuncSpec server (see scripts/dev.mjs).
const apiServer = process.env.FUNCSPEC_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: '../dist/public',
    emptyOutDir: true,
    manifest: true, // read by the test that weighs the sign-in page's JavaScript
    target: 'es2022',
    assetsInlineLimit: 0, // every asset a file of this origin: the CSP allows no data: fonts or scripts
    chunkSizeWarningLimit: 400, // minified; what counts is the gzipped first page, weighed by scripts/web-size.mjs
  },
  server: {
    port: Number(process.env.FUNCSPEC_DEV_PORT ?? 5173),
    strictPort: true,
    proxy: Object.fromEntries(['/api', '/openapi.json', '/docs', '/dev/outbox', '/healthz'].map((path) => [path, { target: apiServer }])),
  },
});
