/**
 * Every code block of the README (and of docs/adapters.md and the example adapters' READMEs) runs
 * as written or passes its check (scripts/check-readme.ts, which says which and why); then each
 * check is shown to catch what it is there for, on documents and programs written wrong on purpose.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  EXAMPLES,
  checkCommand,
  checkDocuments,
  examplePrograms,
  fencedBlocks,
  runExample,
  shellCommands,
} from '../../scripts/check-readme';
import { makeProject, removeProject, runProgram } from '../../scripts/node-program';
import { REPO_ROOT } from '../harness/paths';
import { readProc } from '../harness/proc';

describe('the documents as they are', () => {
  it('every code block passes its check', () => {
    const verdicts = checkDocuments();
    expect(verdicts.filter((v) => v.problems.length > 0)).toEqual([]);
    // The README's library example is among the blocks, included from its file.
    expect(verdicts.map((v) => v.checked)).toContain('included examples/library/main.mjs');
  });

  it.each(examplePrograms())(
    '%s runs and prints what its README says',
    async (file) => {
      expect(await runExample(file)).toEqual([]);
    },
    120_000,
  );
});

/** A repository-like folder with the given files, for checks run against it. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mp-kit-readme-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const PACKAGE = JSON.stringify({
  name: 'mp-conformance-kit',
  scripts: { test: 'jest', 'test:adapter': 'npm run build && node dist/scripts/test-adapter.js' },
});
const TEST_ADAPTER = "const OPTIONS = ['adapter', 'python'] as const;\nprocess.env.KIT_ADAPTERS;\n";

describe('the checks catch what is wrong', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
  const root = (files: Record<string, string>): string => {
    const made = fakeRoot({ 'package.json': PACKAGE, 'scripts/test-adapter.ts': TEST_ADAPTER, ...files });
    roots.push(made);
    return made;
  };

  it('finds each block, its language, its first line and the file it includes', () => {
    const text = ['# t', '', '<!-- example: examples/a.mjs -->', '```js', 'x();', '```', 'prose', '```sh', 'npm test', '```', ''].join(
      '\n',
    );
    expect(fencedBlocks(text)).toEqual([
      { lang: 'js', text: 'x();\n', line: 4, include: 'examples/a.mjs' },
      { lang: 'sh', text: 'npm test\n', line: 8 },
    ]);
  });

  it('a code block that is not its file, a code block with no file, a file no document shows, bad JSON', () => {
    const readme = [
      '<!-- example: examples/library/main.mjs -->',
      '```js',
      'console.log(1);',
      '```',
      '```ts',
      'const x = 1;',
      '```',
      '```json',
      '{ "a": 1, }',
      '```',
      '```python',
      'print(1)',
      '```',
      '',
    ].join('\n');
    const verdicts = checkDocuments(root({ 'README.md': readme, 'examples/library/main.mjs': 'console.log(2);\n' }));
    expect(verdicts.map((v) => [v.where, v.problems.map((p) => p.replace(/:.*/, ''))])).toEqual([
      ['README.md:2', ['the block is not examples/library/main.mjs as it is']],
      ['README.md:5', ['a ```ts block must be a tested file']],
      ['README.md:8', ['not JSON']],
      ['README.md:11', ['no check for ```python blocks (scripts/check-readme.ts)']],
      ['README.md (links)', []],
      [
        'EXAMPLES',
        Object.keys(EXAMPLES)
          .filter((f) => !f.endsWith('main.mjs'))
          .map((f) => `${f} is in EXAMPLES but no document includes it`),
      ],
    ]);
  });

  it('a shell command: unknown script, option the script does not read, variable nobody reads, missing path, missing program', () => {
    const at = root({ 'examples/here.ts': '' });
    const check = (line: string): string[] => shellCommands(line).flatMap((words) => checkCommand(words, at));
    expect(check('npm ci && npm test # comment')).toEqual([]);
    expect(check("KIT_ADAPTERS='cpython:spawn?python=pypy3' npm run test:adapter -- --adapter ./path/to/mine.ts --python pypy3")).toEqual(
      [],
    );
    expect(check('npm run test:adapter -- --adapter ./examples/here.ts')).toEqual([]);
    expect(check('npm run test:adaptor')).toEqual(["npm run test:adaptor: package.json has no script 'test:adaptor'"]);
    expect(check('npm run test:adapter -- --pythn pypy3')).toEqual([
      'npm run test:adapter -- --pythn pypy3: --pythn is not an option of scripts/test-adapter.ts',
    ]);
    expect(check('KIT_ADAPTR=ours npm test')).toEqual(['KIT_ADAPTR=ours npm test: no source of the kit reads KIT_ADAPTR']);
    expect(check('npm run test:adapter -- --adapter ./examples/gone.ts')).toEqual([
      'npm run test:adapter -- --adapter ./examples/gone.ts: ./examples/gone.ts does not exist',
    ]);
    expect(check('no-such-program-here --help')).toEqual(['no-such-program-here --help: no-such-program-here is not on PATH']);
    expect(check('npx no-such-bin')).toEqual(["npx no-such-bin: no bin 'no-such-bin' here"]);
  });

  it('a link that leads nowhere; --help and --version only where commander makes the command line', () => {
    const at = root({
      'README.md': 'See [the guide](docs/guide.md), [a section](#x), [the web](https://example.org) and [gone](docs/gone.md#y).\n',
      'docs/guide.md': '',
      'bin/cli.ts': "import { Command } from 'commander';\n",
    });
    expect(checkDocuments(at).find((v) => v.where === 'README.md (links)')).toEqual({
      where: 'README.md (links)',
      checked: '2 relative link(s) lead to a file',
      problems: ['the link docs/gone.md leads nowhere'],
    });
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name: 'kit', bin: { kit: 'dist/bin/cli.js' }, scripts: {} }));
    expect(checkCommand(['npx', 'kit', '--help'], at)).toEqual([]);
    expect(checkCommand(['npx', 'kit', '--version'], at)).toEqual([]);
    writeFileSync(join(at, 'bin/cli.ts'), "process.argv.includes('--list');\n");
    expect(checkCommand(['npx', 'kit', '--help'], at)).toEqual(['npx kit --help: --help is not an option of bin/cli.ts']);
  });

  it('an example program that prints other lines, or its own pid where a child pid belongs, or fails', async () => {
    const main = 'examples/library/main.mjs';
    const wrong = (text: string): string => root({ ...Object.fromEntries(Object.keys(EXAMPLES).map((f) => [f, ''])), [main]: text });
    expect(await runExample(main, wrong("console.log('0');\n"))).toEqual([
      `${main} printed 1 lines, expected 2 (stdout: "0\\n", stderr: "")`,
      `${main}: line 1 is "0", expected /^meet, 18: Process-1, pid (?<child>\\d+)$/`,
      `${main}: line 2 is undefined, expected /^0$/`,
    ]);
    expect(await runExample(main, wrong('console.log(`meet, 18: Process-1, pid ${process.pid}`);\nconsole.log(0);\n'))).toEqual([
      expect.stringMatching(new RegExp(`^${main}: line 1 names the program's own pid \\d+ where a child's is expected$`)),
    ]);
    const failing = await runExample(main, wrong('process.exit(3);\n'));
    expect(failing[0]).toBe(`${main} exited with 3 (stdout: "", stderr: "")`);
  }, 60_000);

  it('a program that leaves a process behind: listed, then killed', async () => {
    const dir = makeProject({
      'leaves.mjs':
        "import { spawn } from 'node:child_process';\nconst sleep = spawn('sleep', ['30'], { stdio: 'ignore' });\nsleep.unref();\nconsole.log(sleep.pid);\n",
    });
    try {
      const run = await runProgram(dir, 'leaves.mjs', { graceMs: 300 });
      const pid = Number(run.stdout.trim());
      expect(run.leftBehind).toEqual([expect.stringMatching(new RegExp(`^pid ${pid} \\(sleep, state [RSD], ppid \\d+\\)$`))]);
      expect(readProc(pid)).toBeNull();
    } finally {
      removeProject(dir);
    }
  }, 60_000);

  it('the check reads the real repository by default', () => {
    expect(checkCommand(['npm', 'run', 'check:readme'])).toEqual([]);
    expect(REPO_ROOT).toBe(join(__dirname, '..', '..'));
  });
});
