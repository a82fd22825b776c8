import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Builds into the hub's static files (committed). Names carry a content hash, so the same source gives the same
// files byte for byte; .ci/run rebuilds and fails when the output differs from the commit.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    outDir: '../src/KrxHub/wwwroot',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
});
