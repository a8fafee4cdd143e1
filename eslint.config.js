// ESLint for the web map's own ES modules (app/static/js): eslint's recommended rules, the
// browser's globals and those of the vendored scripts the pages load before the modules
// (app/web/templates: Leaflet + Leaflet.draw + awesome-markers as L, Chart.js, Bootstrap,
// proj4). The vendored files themselves are not ours to lint. Run: npx eslint app/static/js
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["app/static/vendor/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["app/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        ...globals.browser,
        L: "readonly",
        Chart: "readonly",
        bootstrap: "readonly",
        proj4: "readonly",
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
];
