/**
 * The library from ES modules, as a user's .mjs program uses it (a project with the package
 * installed: scripts/node-program.ts): a target named by module and export works, by file: URL
 * or path, and start() stays synchronous, because the child require()s the ES module (Node 20.19+);
 * what cannot work fails at start() saying why and what to write instead. Then the wording of the
 * not-found errors from CommonJS, here in Jest.
 */
import { pathToFileURL } from 'node:url';
import type * as Reduction from '../../src/reduction';
import { makeProject, removeProject, runProgram, type ProgramRun } from '../../scripts/node-program';
import { DIST } from '../harness/paths';
import { lib } from './started-children';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled library, as children run it
const reduction = require(`${DIST}/src/reduction.js`) as typeof Reduction;

const TASKS = `import { Process, currentProcess, parentProcess } from 'mp-conformance-kit';

/** One JSON line: which process ran the task. */
export function report(tag) {
  console.log(JSON.stringify({ tag, pid: process.pid, name: currentProcess().name, parent: parentProcess()?.pid ?? null }));
}

export default function reportByDefault(tag) {
  report(\`\${tag} (default)\`);
}

export class Reporter extends Process {
  constructor(tag) {
    super();
    this.tag = tag;
  }

  run() {
    report(this.tag);
  }
}
`;

// One program, one scenario per argument; each prints JSON lines: what start() did, what ran.
const PROGRAM = `import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Process, activeChildren } from 'mp-conformance-kit';
import { report, Reporter } from './tasks.mjs';

const out = (o) => console.log(JSON.stringify(o));
const tasks = import.meta.resolve('./tasks.mjs');

/** start() (printing the pid it gives at once), then join(); or the error start() threw. */
async function run(make) {
  let p;
  try {
    p = make();
    p.start();
  } catch (e) {
    out({ code: e.code, message: e.message, children: activeChildren().length, pid: p?.pid ?? null });
    return;
  }
  out({ started: p.pid });
  await p.join({ timeout: 20_000 });
  out({ exitCode: p.exitCode });
}

export function selfTask() {}

switch (process.argv[2]) {
  case 'url':
    await run(() => new Process({ target: { module: tasks, name: 'report' }, args: ['by url'] }));
    break;
  case 'path':
    await run(() => new Process({ target: { module: fileURLToPath(tasks), name: 'default' }, args: ['by path'] }));
    break;
  case 'in-parent':
    new Process({ target: { module: tasks, name: 'report' }, args: ['here'] }).run();
    break;
  case 'imported':
    await run(() => new Process({ target: report, args: ['imported'] }));
    await run(() => new Reporter('imported'));
    break;
  case 'required':
    createRequire(import.meta.url)('./tasks.mjs');
    await run(() => new Process({ target: report, args: ['found'] }));
    await run(() => new Reporter('subclass'));
    break;
  case 'top-level-await':
    await run(() => new Process({ target: { module: import.meta.resolve('./tla.mjs'), name: 'report' } }));
    await run(() => new Process({ target: { module: import.meta.resolve('./imports-tla.mjs'), name: 'report' } }));
    break;
  case 'self':
    await run(() => new Process({ target: { module: import.meta.url, name: 'selfTask' } }));
    break;
  case 'relative':
    await run(() => new Process({ target: { module: './tasks.mjs', name: 'report' } }));
    break;
}
`;

let project: string;

beforeAll(() => {
  project = makeProject({
    'tasks.mjs': TASKS,
    'program.mjs': PROGRAM,
    'tla.mjs': 'await Promise.resolve();\nexport function report() {}\n',
    'imports-tla.mjs': "import './tla.mjs';\nexport function report() {}\n",
  });
});

afterAll(() => removeProject(project));

afterEach(() => lib.stopStandby());

/** Runs a scenario of PROGRAM; it must exit 0 and leave nothing behind. Returns its JSON lines. */
async function scenario(name: string, nodeArgs: string[] = []): Promise<{ run: ProgramRun; lines: Record<string, unknown>[] }> {
  const run = await runProgram(project, 'program.mjs', { args: [name], nodeArgs });
  expect({ code: run.code, signal: run.signal, stderr: run.stderr, leftBehind: run.leftBehind, timedOut: run.timedOut }).toEqual({
    code: 0,
    signal: null,
    stderr: '',
    leftBehind: [],
    timedOut: false,
  });
  const lines = run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { run, lines };
}

/** The lines of a child's run: the pid start() gave, what the child reported, its exit code. */
function childRun(lines: Record<string, unknown>[], tag: string, programPid: number, name = 'Process-1'): void {
  const started = lines.find((line) => 'started' in line)?.started;
  expect(typeof started).toBe('number');
  expect(started).not.toBe(programPid);
  expect(lines).toEqual([{ started }, { tag, pid: started, name, parent: programPid }, { exitCode: 0 }]);
}

describe('an .mjs program names an ES module target by module and export', () => {
  it('by file: URL (import.meta.resolve): start() returns with the pid, the child runs the export, exits 0', async () => {
    const { run, lines } = await scenario('url');
    childRun(lines, 'by url', run.pid);
  }, 60_000);

  it("by absolute path, and name 'default' for the default export", async () => {
    const { run, lines } = await scenario('path');
    childRun(lines, 'by path (default)', run.pid);
  }, 60_000);

  it('run() calls it in the calling process, as p.run() in Python', async () => {
    const { run, lines } = await scenario('in-parent');
    expect(lines).toEqual([{ tag: 'here', pid: run.pid, name: 'MainProcess', parent: null }]);
  }, 60_000);

  it('is sent as the module path, whatever form the user gave', () => {
    const file = `${DIST}/fixtures/ts/tasks.js`;
    const message = reduction.encodeStart({
      target: { module: pathToFileURL(file).href, name: 'sleepFor' },
      subclass: null,
      instance: {},
      args: [],
      kwargs: null,
      name: 'Process-9',
      daemon: false,
      identity: [9],
      parent: { pid: process.pid, name: 'MainProcess' },
    });
    expect(message.target).toEqual({ module: file, name: 'sleepFor' });
  });

  it('a module that is neither an absolute path nor a file: URL is refused by the constructor', async () => {
    const { lines } = await scenario('relative');
    expect(lines).toEqual([
      {
        code: 'ERR_MP_INVALID_OPTION',
        message:
          "Process() expected the 'target' option to be a TaskRef whose module is an absolute path or a file: URL " +
          "(import.meta.resolve('./tasks.mjs') gives one), got a plain object (object)",
        children: 0,
        pid: null,
      },
    ]);
  }, 60_000);
});

describe('what an .mjs program cannot do fails at start(), saying why and what to write', () => {
  it('a function or subclass only imported is not found: the error says where the library looked and what to write', async () => {
    const { lines } = await scenario('imported');
    const looked = (n: number): string =>
      `it is not exported by any loaded module (looked in require.cache, ${n} modules: the CommonJS modules loaded so far ` +
      'and the ES modules loaded with require(); one loaded by import is never there). ';
    const count = Number(/looked in require\.cache, (\d+) modules/.exec(String(lines[0]?.message))?.[1]);
    expect(count).toBeGreaterThan(0);
    expect(lines).toEqual([
      {
        code: 'ERR_MP_NOT_SENDABLE',
        message:
          `Process-1: target report cannot be sent to a child process: ${looked(count)}` +
          'A closure or arrow function defined inside another function cannot cross a process boundary; export it from a module, ' +
          "then load that module with require() (in an ES module: createRequire(import.meta.url)('./tasks.mjs')), or name it: " +
          "target: { module: import.meta.resolve('./tasks.mjs'), name: 'report' } (module: an absolute path or a file: URL)",
        children: 0,
        pid: null,
      },
      {
        code: 'ERR_MP_NOT_SENDABLE',
        message:
          `Reporter-2: class Reporter cannot be sent to a child process: ${looked(count)}` +
          'A class defined inside a function cannot cross a process boundary; export it from a module, then load that module ' +
          "with require() (in an ES module: createRequire(import.meta.url)('./tasks.mjs')): a Process subclass is found only among loaded modules",
        children: 0,
        pid: null,
      },
    ]);
  }, 60_000);

  it('once its module is also loaded with require(), the same function and a subclass are found and run', async () => {
    const { run, lines } = await scenario('required');
    childRun(lines.slice(0, 3), 'found', run.pid);
    childRun(lines.slice(3), 'subclass', run.pid, 'Reporter-2');
  }, 60_000);

  it('a target module with top-level await, in it or in what it imports, is refused naming the await', async () => {
    const { lines } = await scenario('top-level-await');
    const refusal = (file: string, name: string) => ({
      code: 'ERR_MP_UNKNOWN_TASK',
      message:
        `${name}: task 'report' of ${project}/${file} cannot be loaded: it is an ES module with top-level await ` +
        '(itself or a module it imports), which require() cannot load, and a child loads its target with require() ' +
        'so that start() stays synchronous; move the await into a function',
      children: 0,
      pid: null,
    });
    expect(lines).toEqual([refusal('tla.mjs', 'Process-1'), refusal('imports-tla.mjs', 'Process-2')]);
  }, 60_000);

  it('a target in the main program itself is refused: it is still being evaluated', async () => {
    const { lines } = await scenario('self');
    expect(lines).toEqual([
      {
        code: 'ERR_MP_UNKNOWN_TASK',
        message:
          `Process-1: task 'selfTask' of ${project}/program.mjs cannot be loaded: it is an ES module ` +
          'still being evaluated (the main program, or a module on the import path of the code calling start()), which ' +
          'require() cannot load; put the target in a module of its own',
        children: 0,
        pid: null,
      },
    ]);
  }, 60_000);

  it('a Node whose require() loads CommonJS only refuses an ES module target naming its version, and says so when one is not found', async () => {
    const { lines } = await scenario('url', ['--no-experimental-require-module']);
    expect(lines).toEqual([
      {
        code: 'ERR_MP_UNKNOWN_TASK',
        message:
          `Process-1: task 'report' of ${project}/tasks.mjs cannot be loaded: it is an ES module, and require() here ` +
          `(Node ${process.version}) cannot load one; Node 20.19+ and 22.12+ can, unless started with --no-experimental-require-module`,
        children: 0,
        pid: null,
      },
    ]);
    const imported = await scenario('imported', ['--no-experimental-require-module']);
    expect(imported.lines[0]?.message).toContain(
      'export it from a module, then load that module with require() (a CommonJS module: require() here cannot load an ES module; ' +
        "Node 20.19+ and 22.12+ can), or name it: target: { module: '/absolute/path/of/tasks.js', name: 'report' }",
    );
  }, 60_000);
});

describe('the not-found errors from CommonJS', () => {
  // Jest's require() loads CommonJS only, and its copy of `process` says so (no require_module):
  // the library, loaded through it, words its advice for that case.
  it('a closure: where the library looked, and what to write instead', () => {
    expect(process.features.require_module).not.toBe(true);
    const unexported = (): number => 1;
    const p = new lib.Process({ target: unexported });
    let message = '';
    try {
      p.start();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_MP_NOT_SENDABLE');
      message = (error as Error).message;
    }
    const count = Object.keys(require.cache).length;
    expect(message).toBe(
      `${p.name}: target unexported cannot be sent to a child process: it is not exported by any loaded module ` +
        `(looked in require.cache, ${count} modules: the CommonJS modules loaded so far). A closure or arrow function defined ` +
        'inside another function cannot cross a process boundary; export it from a module, then load that module with require() ' +
        '(a CommonJS module: require() here cannot load an ES module; Node 20.19+ and 22.12+ can), or name it: ' +
        "target: { module: '/absolute/path/of/tasks.js', name: 'unexported' } (module: an absolute path or a file: URL)",
    );
    expect(p.pid).toBeNull();
  });

  it('an anonymous function gets a placeholder for its export name; a class defined in a function, the class wording', () => {
    const anonymous = new lib.Process({ target: [() => 1][0] });
    expect(() => anonymous.start()).toThrow(/target anonymous function cannot .* name: '<its export name>' \}/);
    const Local = class extends lib.Process {};
    expect(() => new Local().start()).toThrow(
      /^Local-\d+: class Local cannot be sent to a child process: it is not exported by any loaded module \(looked in require\.cache, \d+ modules: .* A class defined inside a function cannot cross a process boundary; export it from a module, then load that module with require\(\)/,
    );
  });
});
