const { Process } = require('mp-conformance-kit');
const { work } = require('./tasks.mjs'); // loaded with require(): the library finds the function by itself

const p = new Process({ target: work, args: ['meet'], kwargs: { age: 18 } });
p.start();
p.join({ timeout: 5_000 }).then(() => console.log(p.exitCode));
