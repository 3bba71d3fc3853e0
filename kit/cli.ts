#!/usr/bin/env node
/**
 * `npx mp-conformance-kit --adapter <choice> [--rules P1,P7 | --section process] [--reporter md|json|junit]`:
 * the kit's command line, on the runner (kit/index.ts). It prints a line per rule as its spec file
 * ends, then every unexpected result with its message (and its children's trimmed stderr), then the
 * closing line "N passed, N failed". Exit status: 0 when every result is as expected, 1 otherwise,
 * 2 when the run could not start (a wrong option, adapter or expectations file: said in one line,
 * before Jest starts). `--help` lists the options (commander's), `--version` gives the package's.
 * `npm run test:adapter` and `npm run test:cpython` are this command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { REPO_ROOT } from '../spec/harness/paths';
import { RULES } from '../spec/rules/catalogue';
import { KitError } from './errors';
import { closingAccount, formatReport, progressLine, REPORTERS, type ReporterName } from './formats';
import { run } from './index';
import { SECTIONS } from './select';

const NAME = 'mp-conformance-kit';

interface Options {
  adapter: string;
  rules?: string;
  section?: string;
  startMethod?: string;
  python?: string;
  module?: string;
  expected?: string;
  reporter?: ReporterName;
  output?: string;
  verbose?: boolean;
  list?: boolean;
}

const EXAMPLES = `
Examples:
  $ npx ${NAME} --adapter ours --rules P1,P7
  $ npx ${NAME} --adapter cpython --start-method spawn --section process
  $ npx ${NAME} --adapter ./my-adapter.js --expected ./known-failures.json --reporter junit --output kit.xml
  $ npx ${NAME} --adapter cpython --python pypy3 --rules P9 -- --testNamePattern SIGINT

Adapters: ours (this package's library), cpython[:fork|spawn|forkserver] (python3's multiprocessing;
--python and --module choose another interpreter or module), broken:<breakage> (deliberately wrong),
or the path of a module whose default export is createAdapter(options) (mp-conformance-kit/adapter
has the contract). Arguments after -- go to Jest.
Exit status: 0 all results as expected, 1 an unexpected result, 2 the run could not start.`;

function program(): Command {
  const { version } = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return new Command(NAME)
    .description('Checks an implementation of Python multiprocessing semantics against the rules of the catalogue.')
    .usage('--adapter <choice> [--rules <ids> | --section <names>] [options] [-- <Jest arguments>]')
    .option('-a, --adapter <choice>', 'the implementation: a built-in adapter or the path of yours', 'ours')
    .addOption(new Option('-r, --rules <ids>', 'only these rules, by id, exactly: P1,P7 (P1 is not P10)').conflicts('section'))
    .option('-s, --section <names>', `only these sections of the catalogue: ${SECTIONS.join(', ')}`)
    .option('--start-method <method>', "the adapter's variant: CPython's fork, spawn or forkserver")
    .option('--python <interpreter>', 'for the Python adapter: the interpreter (pypy3, /usr/bin/python3)')
    .option('--module <module>', "for the Python adapter: the implementation's module (billiard)")
    .option('-e, --expected <file>', "the implementation's known failures (JSON: test -> { reason, failure })")
    .addOption(new Option('--reporter <format>', 'also write a report of the run').choices(REPORTERS))
    .option('-o, --output <file>', 'write the report to this file (default: stdout, and the progress to stderr)')
    .option('--verbose', "Jest's own output too, on stderr")
    .option('--list', 'list the rules by section, and exit')
    .version(version)
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(
          /unknown option/.test(text)
            ? `${text.trimEnd()}\n(Jest's own options go after --: ${NAME} --adapter ours -- -t <pattern>)\n`
            : text,
        ),
    });
}

function listRules(): string {
  return SECTIONS.map((section) =>
    [
      `${section}:`,
      ...RULES.filter((r) => r.section === section).map(
        (r) => `  ${r.id.padEnd(4)} ${r.status === 'specified' ? '' : '(not specified yet) '}${r.title}`,
      ),
    ].join('\n'),
  ).join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  // Everything after `--` is Jest's; before it, only the kit's own options.
  const split = argv.indexOf('--');
  const own = split === -1 ? [...argv] : argv.slice(0, split);
  const jestArgs = split === -1 ? [] : argv.slice(split + 1);
  const command = program();
  try {
    command.parse(own, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = command.opts<Options>();
  if (options.list) {
    process.stdout.write(`${listRules()}\n`);
    return 0;
  }
  if (options.output !== undefined && options.reporter === undefined) {
    process.stderr.write(`${NAME}: --output needs --reporter md, json or junit\n`);
    return 2;
  }
  // Progress and the closing line go to stdout, unless stdout carries the report.
  const human = options.reporter !== undefined && options.output === undefined ? process.stderr : process.stdout;
  try {
    const report = await run({
      adapter: options.adapter,
      ...(options.startMethod === undefined ? {} : { startMethod: options.startMethod }),
      ...(options.python === undefined ? {} : { python: options.python }),
      ...(options.module === undefined ? {} : { module: options.module }),
      ...(options.rules === undefined ? {} : { rules: options.rules }),
      ...(options.section === undefined ? {} : { section: options.section }),
      ...(options.expected === undefined ? {} : { expected: options.expected }),
      verbose: Boolean(options.verbose),
      jestArgs,
      onStart: ({ adapter, rules, expectations }) => {
        const what = `${adapter.name}${adapter.description ? ` (${adapter.description})` : ''}`;
        const known = expectations ? `; known failures from ${expectations}` : '';
        human.write(
          `${NAME}: ${rules.length === RULES.filter((r) => r.status === 'specified').length ? 'every rule' : rules.join(', ')} on ${what}${known}\n`,
        );
      },
      onRule: (rule) => human.write(`${progressLine(rule)}\n`),
    });
    human.write(`${closingAccount(report)}\n`);
    if (options.reporter !== undefined) {
      const text = formatReport(report, options.reporter);
      if (options.output === undefined) process.stdout.write(text);
      else writeFileSync(options.output, text);
    }
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof KitError) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  // A reader that stops early (`| head`) ends the output, not the run with an EPIPE stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
