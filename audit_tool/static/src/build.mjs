// Builds the front-end assets Flask serves from audit_tool/static/build/.
// Run by `make` (via `npm run build`); the output is not committed.
import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const out = join(here, "..", "build");
mkdirSync(out, { recursive: true });

const result = sass.compile(join(here, "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(out, "app.css"), result.css);

const govukDist = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
copyFileSync(join(govukDist, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
copyFileSync(join(here, "app.mjs"), join(out, "app.mjs"));
console.log(`Built ${out}`);
