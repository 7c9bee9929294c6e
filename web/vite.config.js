import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The gateway embeds `dist/` and serves it: hashed assets under /assets/ are cached for a
// year, index.html never. The build goes where the gateway's build script asks
// (`SHOP_WEB_OUT`), else dist/.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: process.env.SHOP_WEB_OUT ?? 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script or style: the Content-Security-Policy allows only the shop's files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running shop (cargo run --release).
    proxy: { '/api': 'http://127.0.0.1:8080', '/.well-known': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
