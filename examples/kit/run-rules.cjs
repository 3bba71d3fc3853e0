// The kit's programmatic runner: the rules P1 and P9 against the adapter beside this file, with its
// known failures; a report per rule and per test comes back (this file never loads Jest: the runner
// starts it in a process of its own).
const { run } = require('mp-conformance-kit/kit');

run({ adapter: './my-adapter.cjs', rules: ['P1', 'P9'], expected: './known-failures.json' }).then((report) => {
  for (const rule of report.rules) console.log(`${rule.rule}: ${rule.outcome}`);
  console.log(report.summary);
  process.exitCode = report.ok ? 0 : 1;
});
