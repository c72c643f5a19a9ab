import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(readFileSync(here('../package.json'), 'utf8')) as { version: string };

/** Fail the build when anything pulls a Node built-in into the browser bundles (instead of Vite's stub + warning). */
const browserSafe: Plugin = {
  name: 'paratransfer:browser-safe',
  enforce: 'pre',
  resolveId(id, importer) {
    if (id.startsWith('node:') || builtinModules.includes(id)) {
      this.error(`${importer ?? 'the app'} imports the Node-only module "${id}": the explorer may import only pure modules (see src/browser.ts)`);
    }
    return null;
  },
};

/**
 * The explorer: a static app (dist/web/) that runs the library in a Web Worker. Relative asset URLs (base './') so
 * the folder works from any path; everything is bundled, nothing is fetched from elsewhere.
 */
export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  plugins: [browserSafe],
  define: { __PARATRANSFER_VERSION__: JSON.stringify(pkg.version) },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  worker: { format: 'es', plugins: () => [browserSafe] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
