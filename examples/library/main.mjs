import { Process } from 'mp-conformance-kit';

// From an ES module a target is named: its module (a path or file: URL) and its export.
const work = { module: import.meta.resolve('./tasks.mjs'), name: 'work' };

const p = new Process({ target: work, args: ['meet'], kwargs: { age: 18 } });
p.start();
await p.join({ timeout: 5_000 });
console.log(p.exitCode); // 0, n after exit(n), 1 after an uncaught error, -15 after terminate()
