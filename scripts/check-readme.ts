/**
 * `npm run check:readme`: every code block of the README (and of docs/adapters.md and the example
 * adapters' READMEs) runs as written, or is checked as far as running it here would prove nothing
 * more. `npm test` runs the same checks (spec/library/readme.test.ts), so CI does.
 *
 * - ```js / ```ts blocks are files of the repository that the document includes: the line before
 *   the block is `<!-- example: examples/library/main.mjs -->` and the block is that file, byte for
 *   byte. Each such file is a program run here (EXAMPLES: in a temporary project that has this
 *   package installed, as a link, with a time limit; its output checked line by line, nothing of
 *   its process group left behind) or a module one of them loads.
 * - ```sh blocks are checked, not run: each command exists (`npm run <script>`: a script of
 *   package.json; `npx <bin>`: a bin of it or of an installed package; `node <file>`: the file;
 *   anything else: a program on PATH), each `--option` given to one of this repository's scripts
 *   is one its source reads, each KIT_* variable one the kit reads, and each path of the repository
 *   exists (`./path/to/...` is a placeholder). Running them would prove little more at a great
 *   cost: they are the suite itself (3 minutes and up each; .ci/run runs `npm ci`, `npm test` and
 *   `npm run prove` as written), or need what a CI machine need not have (PyPy, billiard).
 * - ```json blocks must parse. Blocks without a language (the layout) are text.
 * - And every relative link of the documents leads to a file of the repository.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { REPO_ROOT } from '../spec/harness/paths';
import { makeProject, removeProject, runProgram } from './node-program';

/** The documents whose code blocks are checked, relative to the repository. */
export function documents(root = REPO_ROOT): string[] {
  const adapters = join(root, 'examples', 'adapters');
  const examples = existsSync(adapters)
    ? readdirSync(adapters)
        .map((name) => `examples/adapters/${name}/README.md`)
        .filter((file) => existsSync(join(root, file)))
    : [];
  return ['README.md', 'docs/adapters.md', ...examples].filter((file) => existsSync(join(root, file)));
}

export interface Block {
  /** The language after the opening fence, '' when none. */
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The file named by an `<!-- example: path -->` line right before the fence. */
  include?: string;
}

const INCLUDE = /^<!--\s*example:\s*(\S+)\s*-->$/;

/** The targets of a Markdown text's links into the repository (not URLs, not anchors), outside code blocks. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The fenced code blocks of a Markdown text. */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
    const include = INCLUDE.exec((lines[before] ?? '').trim())?.[1];
    blocks.push({
      lang: open[1] ?? '',
      text: lines.slice(i + 1, end).join('\n') + '\n',
      line: i + 1,
      ...(include ? { include } : {}),
    });
    i = end;
  }
  return blocks;
}

/** What a program among the examples must print: one pattern per line, in order. */
export interface ExampleOutput {
  lines: RegExp[];
}

/**
 * Every file a document includes: a program and the output it must give, or a module that the
 * programs of its folder load. A named group `child` is a pid that must not be the program's own.
 */
export const EXAMPLES: Readonly<Record<string, ExampleOutput | 'module'>> = {
  'examples/library/tasks.mjs': 'module',
  'examples/library/main.mjs': { lines: [/^meet, 18: Process-1, pid (?<child>\d+)$/, /^0$/] },
  'examples/library/main.cjs': { lines: [/^meet, 18: Process-1, pid (?<child>\d+)$/, /^0$/] },
  'examples/library/echo.mjs': { lines: [/^(?<child>\d+) serves :\d+$/, /^HELLO$/] },
  'examples/kit/my-adapter.cjs': 'module',
  'examples/kit/known-failures.json': 'module',
  'examples/kit/run-rules.cjs': { lines: [/^P1: pass$/, /^P9: expected failure$/, /^\d+ passed, 0 failed$/] },
};

const CODE = new Set(['js', 'javascript', 'mjs', 'cjs', 'ts', 'typescript']);
const SHELL = new Set(['sh', 'bash', 'shell']);
const TEXT = new Set(['', 'text']);

export interface Verdict {
  where: string;
  /** What was done with the block: `included examples/library/main.mjs`, `3 commands checked`, ... */
  checked: string;
  problems: string[];
}

/** The static checks of every block of every document (the example programs run in runExample()). */
export function checkDocuments(root = REPO_ROOT): Verdict[] {
  const verdicts: Verdict[] = [];
  const shown = new Set<string>();
  for (const doc of documents(root)) {
    const text = readFileSync(join(root, doc), 'utf8');
    for (const block of fencedBlocks(text)) {
      verdicts.push({ where: `${doc}:${block.line}`, ...checkBlock(block, root) });
      if (block.include !== undefined) shown.add(block.include);
    }
    const links = relativeLinks(text);
    const base = dirname(join(root, doc));
    verdicts.push({
      where: `${doc} (links)`,
      checked: `${links.length} relative link(s) lead to a file`,
      problems: links.filter((link) => !existsSync(join(base, link))).map((link) => `the link ${link} leads nowhere`),
    });
  }
  const hidden = Object.keys(EXAMPLES).filter((file) => !shown.has(file));
  verdicts.push({
    where: 'EXAMPLES',
    checked: 'each shown in a document',
    problems: hidden.map((file) => `${file} is in EXAMPLES but no document includes it`),
  });
  return verdicts;
}

function checkBlock(block: Block, root: string): Omit<Verdict, 'where'> {
  const { lang, include } = block;
  if (include !== undefined) {
    const file = join(root, include);
    if (!existsSync(file)) return { checked: `included ${include}`, problems: [`${include} does not exist`] };
    const problems: string[] = [];
    if (readFileSync(file, 'utf8') !== block.text) problems.push(`the block is not ${include} as it is: copy the file into the block`);
    if (!(include in EXAMPLES)) problems.push(`${include} is not in EXAMPLES (scripts/check-readme.ts): say what it must print`);
    return { checked: `included ${include}`, problems };
  }
  if (CODE.has(lang)) {
    return {
      checked: 'nothing',
      problems: [`a \`\`\`${lang} block must be a tested file: put it under examples/ and write <!-- example: <path> --> before it`],
    };
  }
  if (SHELL.has(lang)) {
    const commands = shellCommands(block.text);
    return { checked: `${commands.length} command(s) checked, not run`, problems: commands.flatMap((c) => checkCommand(c, root)) };
  }
  if (lang === 'json') {
    try {
      JSON.parse(block.text);
      return { checked: 'parsed', problems: [] };
    } catch (error) {
      return { checked: 'parsed', problems: [`not JSON: ${(error as Error).message}`] };
    }
  }
  if (TEXT.has(lang)) return { checked: 'text, not code', problems: [] };
  return { checked: 'nothing', problems: [`no check for \`\`\`${lang} blocks (scripts/check-readme.ts)`] };
}

/** The commands of a shell block: lines joined at `\`, comments dropped, split at `&&`, `||` and `;`. */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    let current: string[] = [];
    for (const token of tokenize(line)) {
      if (token === '&&' || token === '||' || token === ';') {
        if (current.length > 0) commands.push(current);
        current = [];
      } else current.push(token);
    }
    if (current.length > 0) commands.push(current);
  }
  return commands;
}

/** Shell words, quotes removed; a `#` that starts a word starts a comment. */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  const word = /\s*(?:(#.*)|((?:'[^']*'|"[^"]*"|[^\s'"])+))/y;
  for (let m = word.exec(line); m !== null && m[0] !== ''; m = word.exec(line)) {
    if (m[1] !== undefined) break;
    tokens.push((m[2] ?? '').replace(/'([^']*)'|"([^"]*)"/g, (_q, a?: string, b?: string) => a ?? b ?? ''));
  }
  return tokens;
}

const PLACEHOLDER = /path\/to\//;

/** What one shell command needs to exist; its problems, each naming the command. */
export function checkCommand(words: readonly string[], root = REPO_ROOT): string[] {
  const shown = words.join(' ');
  const problems: string[] = [];
  let at = 0;
  for (; at < words.length && /^[A-Za-z_]\w*=/.test(words[at] ?? ''); at++) {
    const name = (words[at] ?? '').split('=')[0] ?? '';
    if (name.startsWith('KIT_') && !kitReads(name, root)) problems.push(`${shown}: no source of the kit reads ${name}`);
  }
  const [program = '', ...rest] = words.slice(at);
  let source: string | undefined; // the file whose options the rest may use
  if (program === 'npm') {
    const [sub = '', script = ''] = rest;
    const scripts = packageJson(root).scripts ?? {};
    const name = sub === 'run' || sub === 'run-script' ? script : sub === 'test' || sub === 't' ? 'test' : undefined;
    if (name !== undefined) {
      const command = scripts[name];
      if (command === undefined) problems.push(`${shown}: package.json has no script '${name}'`);
      else source = sourceOf(/node\s+(\S+\.js)(?!.*node\s+\S+\.js)/.exec(command)?.[1], root);
    }
  } else if (program === 'npx') {
    const bin = rest[0] ?? '';
    const own = packageJson(root).bin;
    const ownBin = typeof own === 'string' ? (bin === packageJson(root).name ? own : undefined) : own?.[bin];
    if (ownBin !== undefined) source = sourceOf(ownBin, root);
    else if (!existsSync(join(root, 'node_modules', '.bin', bin))) problems.push(`${shown}: no bin '${bin}' here`);
  } else if (program === 'node') {
    const file = rest.find((word) => !word.startsWith('-'));
    if (file === undefined || !existsSync(join(root, file))) problems.push(`${shown}: no file ${file ?? '(none)'}`);
    else source = sourceOf(file, root);
  } else if (!onPath(program)) {
    problems.push(`${shown}: ${program} is not on PATH`);
  }
  const text = source === undefined ? undefined : readFileSync(source, 'utf8');
  for (const word of rest) {
    const option = /^--([A-Za-z][\w-]*)/.exec(word)?.[1];
    // commander gives every command line made with it --help and --version.
    const builtIn = (option === 'help' || option === 'version') && text?.includes("from 'commander'") === true;
    if (option !== undefined && !builtIn && text !== undefined && !text.includes(`'${option}'`) && !text.includes(`--${option}`)) {
      problems.push(`${shown}: --${option} is not an option of ${source?.slice(root.length + 1)}`);
    }
    const repoPath = /^\.\/\S+/.exec(word)?.[0];
    if (repoPath !== undefined && !PLACEHOLDER.test(repoPath) && !existsSync(join(root, repoPath))) {
      problems.push(`${shown}: ${repoPath} does not exist`);
    }
  }
  return problems;
}

function packageJson(root: string): { name?: string; scripts?: Record<string, string>; bin?: string | Record<string, string> } {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as ReturnType<typeof packageJson>;
}

/** The TypeScript source of a compiled file of the repository (dist/x/y.js -> x/y.ts), or the file itself. */
function sourceOf(file: string | undefined, root: string): string | undefined {
  if (file === undefined) return undefined;
  const compiled = /^(?:\.\/)?dist\/(.+)\.js$/.exec(file);
  const candidate = compiled ? join(root, `${compiled[1]}.ts`) : join(root, file);
  return existsSync(candidate) ? candidate : undefined;
}

const kitSources = new Map<string, string>();

/** True when some source of the kit (src, spec, scripts, bench, fixtures) names the variable. */
function kitReads(name: string, root: string): boolean {
  let text = kitSources.get(root);
  if (text === undefined) {
    const parts: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|cjs|mjs|js|py)$/.test(entry.name)) parts.push(readFileSync(path, 'utf8'));
      }
    };
    for (const dir of ['src', 'spec', 'scripts', 'bench', 'fixtures']) if (existsSync(join(root, dir))) walk(join(root, dir));
    text = parts.join('\n');
    kitSources.set(root, text);
  }
  return text.includes(name);
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Runs one example program (a key of EXAMPLES) in a fresh project holding the files of its folder,
 * and returns what is wrong with the run: its exit, its output against the expected lines, a child
 * pid that is the program's own, processes it left behind.
 */
export async function runExample(file: string, root = REPO_ROOT): Promise<string[]> {
  const expected = EXAMPLES[file];
  if (expected === undefined || expected === 'module') return [`${file} is not a program of EXAMPLES`];
  const folder = file.slice(0, file.lastIndexOf('/'));
  const files = Object.fromEntries(
    Object.keys(EXAMPLES)
      .filter((name) => name.startsWith(`${folder}/`))
      .map((name) => [name.slice(folder.length + 1), { copy: join(root, name) }]),
  );
  const dir = makeProject(files);
  try {
    const run = await runProgram(dir, file.slice(folder.length + 1), { timeoutMs: 90_000 });
    const problems: string[] = [];
    const detail = `stdout: ${JSON.stringify(run.stdout)}, stderr: ${JSON.stringify(run.stderr.slice(0, 2_000))}`;
    if (run.timedOut) problems.push(`${file} did not end within its time limit (${detail})`);
    else if (run.code !== 0) problems.push(`${file} exited with ${run.code ?? run.signal} (${detail})`);
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    if (lines.length !== expected.lines.length) {
      problems.push(`${file} printed ${lines.length} lines, expected ${expected.lines.length} (${detail})`);
    }
    expected.lines.forEach((pattern, i) => {
      const line = lines[i];
      const match = line === undefined ? null : pattern.exec(line);
      if (match === null) problems.push(`${file}: line ${i + 1} is ${JSON.stringify(line)}, expected ${pattern}`);
      else if (match.groups?.child !== undefined && Number(match.groups.child) === run.pid) {
        problems.push(`${file}: line ${i + 1} names the program's own pid ${run.pid} where a child's is expected`);
      }
    });
    if (run.leftBehind.length > 0) problems.push(`${file} left processes behind: ${run.leftBehind.join('; ')}`);
    return problems;
  } finally {
    removeProject(dir);
  }
}

/** The example programs, in EXAMPLES order. */
export const examplePrograms = (): string[] => Object.keys(EXAMPLES).filter((file) => EXAMPLES[file] !== 'module');

async function main(): Promise<void> {
  let failed = 0;
  for (const { where, checked, problems } of checkDocuments()) {
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${where}: ${checked}`);
    for (const problem of problems) console.log(`       ${problem}`);
    failed += problems.length;
  }
  for (const file of examplePrograms()) {
    const problems = await runExample(file);
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${file}: run, output checked`);
    for (const problem of problems) console.log(`       ${problem}`);
    failed += problems.length;
  }
  console.log(failed === 0 ? 'every code block checked' : `${failed} problem(s)`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (require.main === module) void main();
