// The web application: built into dist/web by `npm run build` and served at `/` by `closeloop serve`.
// `npx vite --config web/vite.config.ts` serves it with hot reload, the API proxied to a server on :8080.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.CLOSELOOP_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': api, '/auth': api, '/ack': api } },
});
