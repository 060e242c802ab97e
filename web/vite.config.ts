// One Vite config, two apps: `vite build --mode console` and `--mode shop`, each from its own
// folder (console/, shop/) into dist/<app>/, with its URLs under /<app>/ where brandhouse
// serves it (src/api/web.rs). The generated client is used from its sources.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig(({ mode }) => {
  if (mode !== "console" && mode !== "shop") throw new Error("--mode console or --mode shop");
  return {
    root: here(`./${mode}`),
    base: `/${mode}/`,
    // The storefront's public/ holds the demo brands' logos (their themes' logo_url), copied
    // as they are to dist/shop/ and served under /shop/.
    publicDir: mode === "shop" ? here("./shop/public") : false,
    resolve: {
      alias: [
        { find: "@brandhouse/client", replacement: here("../clients/typescript/src/index.ts") },
        // The client's sources live outside this package: its one runtime dependency from here.
        { find: /^openapi-fetch$/, replacement: here("./node_modules/openapi-fetch/dist/index.mjs") },
      ],
    },
    build: {
      outDir: here(`./dist/${mode}`),
      emptyOutDir: true,
      // No inline scripts or data: URLs for the CSP; no modulepreload polyfill (inline-free
      // anyway, but every supported browser has modulepreload).
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      sourcemap: false,
      target: "es2022",
    },
  };
});
