/**
 * The kit's reading of Jest's results (kit/results.ts, kit/run-jest.ts), its selection of spec files
 * (kit/select.ts) and verdicts (kit/judge.ts, scripts/prove-specs-fail.ts), on results shaped as Jest 30 writes them: a failing afterAll hook and a file
 * that does not load appear only as "● Test suite failed to run" blocks of the file's message, and a
 * failing global teardown only on stderr.
 */
import type { Expectation } from '../harness/expectations';
import { ruleById } from '../rules/catalogue';
import { basename } from 'node:path';
import { RUN_ROW, implementationName, judgeRule, judgeRun } from '../../kit/judge';
import {
  cleanMessage,
  firstLine,
  globalHookFailure,
  interpretResults,
  ruleOfFile,
  suiteFailureBlocks,
  type JestResults,
} from '../../kit/results';
import { trimChildOutput, type RunResult } from '../../kit/run-jest';
import { selectRules } from '../../kit/select';
import { matchingLine, verdict } from '../../scripts/prove-specs-fail';

const ROOT = '/repo';
const P1_FILE = `${ROOT}/spec/process/P1.start-returns-at-once.spec.ts`;
const P9_FILE = `${ROOT}/spec/process/P9.terminate-and-kill.spec.ts`;

// As Jest 30 writes it: one failed test, then the afterAll hook's failure.
const AFTER_ALL_MESSAGE = [
  '  ● P1: start() returns at once › t2',
  '',
  '    boom',
  '    second line',
  '',
  '      at Object.<anonymous> (spec/process/P1.start-returns-at-once.spec.ts:1:70)',
  '',
  '',
  '  ● Test suite failed to run',
  '',
  '    leak: processes left after the adapter closed: pid 362 (sleep, state S, ppid 302)',
  '',
  '      93 |     }',
  '    > 95 |   throw new Error(`leak: ${describeEntries(left)}`);',
  '         |         ^',
  '',
  '      at checkNoDescendants (spec/harness/leaks.ts:95:9)',
  '',
].join('\n');

const LOAD_FAILURE_MESSAGE = [
  '  ● Test suite failed to run',
  '',
  '    Cannot find module ../harness/nothing from spec/process/P9.terminate-and-kill.spec.ts',
  '',
  '      at Resolver._throwModNotFoundError (node_modules/jest-resolve/build/index.js:1:1)',
  '',
].join('\n');

const RESULTS: JestResults = {
  testResults: [
    {
      name: P1_FILE,
      message: AFTER_ALL_MESSAGE,
      assertionResults: [
        { ancestorTitles: ['P1: start() returns at once'], title: 't1', status: 'passed', failureMessages: [] },
        {
          ancestorTitles: ['P1: start() returns at once'],
          title: 't2',
          status: 'failed',
          failureMessages: [
            'RuleViolation: boom\nsecond line\n    at Object.<anonymous> (/repo/spec/process/P1.x.spec.ts:1:70)',
            'Error: another',
          ],
        },
        { ancestorTitles: ['P1: start() returns at once', 'nested'], title: 't3', status: 'pending', failureMessages: [] },
      ],
    },
    { name: P9_FILE, message: LOAD_FAILURE_MESSAGE, assertionResults: [] },
    { name: `${ROOT}/spec/process/helper.spec.ts`, message: LOAD_FAILURE_MESSAGE, assertionResults: [] },
  ],
};

describe('reading Jest results (kit/results.ts)', () => {
  it('finds the rule of a spec file by its name', () => {
    expect(ruleOfFile(P1_FILE)).toBe('P1');
    expect(ruleOfFile('spec/process/P10.exit-codes.spec.ts')).toBe('P10');
    expect(ruleOfFile('spec/process/helper.spec.ts')).toBeUndefined();
    expect(ruleOfFile('spec/library/P1.thing.test.ts')).toBeUndefined();
  });

  it('keeps only the "Test suite failed to run" blocks of a file message, whole', () => {
    const blocks = suiteFailureBlocks(AFTER_ALL_MESSAGE);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatch(/^leak: processes left after the adapter closed: pid 362/);
    expect(cleanMessage(blocks[0]!)).toBe('leak: processes left after the adapter closed: pid 362 (sleep, state S, ppid 302)');
    expect(suiteFailureBlocks('\u001b[1m  ● Test suite failed to run\u001b[22m\n\n    x\n')).toEqual(['x']);
    expect(suiteFailureBlocks('')).toEqual([]);
  });

  it('counts test failures and file-level failures against the rule, and the rest against the run', () => {
    const { tests, byRule, runFailures } = interpretResults(RESULTS, ROOT);
    const p1 = byRule.get('P1')!;
    expect({ passed: p1.passed, failed: p1.failed, skipped: p1.skipped }).toEqual({ passed: 1, failed: 1, skipped: 1 });
    expect(p1.failures.map((f) => f.kind)).toEqual(['test', 'file']);
    expect(p1.failures[0]!.test).toBe('P1 › t2');
    // Every message, every line.
    expect(p1.failures[0]!.message).toMatch(/second line[\s\S]*Error: another/);
    expect(p1.failures[1]!.file).toBe('spec/process/P1.start-returns-at-once.spec.ts');
    const p9 = byRule.get('P9')!;
    expect(p9.failures).toHaveLength(1);
    expect(firstLine(p9.failures[0]!.message)).toBe(
      'Cannot find module ../harness/nothing from spec/process/P9.terminate-and-kill.spec.ts',
    );
    expect(runFailures).toHaveLength(1);
    expect(runFailures[0]).toMatch(/^spec\/process\/helper\.spec\.ts failed outside its tests/);
    expect(tests.map((t) => t.key)).toEqual(['P1 › t1', 'P1 › t2', 'P1 › t3']);
  });

  it('falls back on testExecError when the file message has no block', () => {
    const { byRule } = interpretResults(
      { testResults: [{ name: P9_FILE, message: '', testExecError: { message: 'exploded', stack: '' }, assertionResults: [] }] },
      ROOT,
    );
    expect(byRule.get('P9')!.failures.map((f) => f.message)).toEqual(['exploded']);
  });

  it('reads a failed global teardown from stderr, whole message without stack', () => {
    const stderr = [
      'Tests:       3 passed, 3 total',
      'Error: Jest: Got error running globalTeardown - /repo/spec/harness/global-teardown.ts, reason: the run leaked:',
      'temp file or folder left behind: /tmp/mp-kit-run-x/leftover',
      'process left behind: pid 7 (sleep, state S)',
      '    at globalTeardown (/repo/spec/harness/global-teardown.ts:53:15)',
    ].join('\n');
    expect(globalHookFailure(stderr, ROOT)).toBe(
      'globalTeardown (spec/harness/global-teardown.ts) failed: the run leaked:\n' +
        'temp file or folder left behind: /tmp/mp-kit-run-x/leftover\nprocess left behind: pid 7 (sleep, state S)',
    );
    expect(globalHookFailure('Tests: 3 passed', ROOT)).toBeNull();
  });

  it('selects rules by id, exactly: P1 is not P10 or P11', () => {
    const names = (files: string[]): string[] => files.map((f) => basename(f).split('.')[0]!);
    expect(names(selectRules({ rules: 'P1' }).files)).toEqual(['P1']);
    expect(names(selectRules({ rules: ['P7', 'P1'] }).files)).toEqual(['P1', 'P7']);
    expect(selectRules({ section: 'daemon' }).rules.map((r) => r.section)).toEqual([
      'daemon',
      'daemon',
      'daemon',
      'daemon',
      'daemon',
      'daemon',
      'daemon',
    ]);
    expect(() => selectRules({ rules: 'P99' })).toThrow(/unknown rule P99; the rules are P1, P2/);
    expect(() => selectRules({ section: 'proc' })).toThrow(/unknown section proc; the sections are process, /);
    expect(() => selectRules({ rules: 'P1', section: 'process' })).toThrow(/not both/);
  });

  it("trims a child's traceback and stack to what explains a failure", () => {
    const frames = Array.from({ length: 5 }, (_, i) => [`  File "/x/m${i}.py", line ${i}, in f${i}`, `    call${i}()`]).flat();
    const python = ['Process Process-1:', 'Traceback (most recent call last):', ...frames, 'ValueError: boom'].join('\n');
    expect(trimChildOutput(python)).toBe(
      [
        'Process Process-1:',
        'Traceback (most recent call last):',
        '  ... (3 earlier frames)',
        ...frames.slice(-4),
        'ValueError: boom',
      ].join('\n'),
    );
    const node = [
      'Process Process-2:',
      'Error: boom',
      '    at a (/x/a.js:1:1)',
      '    at b (/x/b.js:2:2)',
      '    at c (/x/c.js:3:3)',
      '    at d (/x/d.js:4:4)',
    ];
    expect(trimChildOutput(node.join('\n'))).toBe([...node.slice(0, 4), '    ... (2 more frames)'].join('\n'));
    expect(trimChildOutput('\n\n')).toBeUndefined();
    const long = trimChildOutput(Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n'))!.split('\n');
    expect(long).toHaveLength(24);
    expect(long[6]).toBe('... (77 lines left out)');
    expect(long.at(-1)).toBe('line 99');
  });
});

/** A run result with the given tests (rule P1 unless said) and file-level failures. */
function run(
  tests: { key: string; status: string; message?: string }[],
  { fileFailures = [] as string[], filtered = false, complete = true, runFailures = [] as string[] } = {},
): RunResult {
  const results: JestResults = {
    testResults: [
      {
        name: P1_FILE,
        message: fileFailures.map((m) => `  ● Test suite failed to run\n\n    ${m}\n`).join('\n'),
        assertionResults: tests.map((t) => ({
          ancestorTitles: [`${t.key.split(' › ')[0]}: title`],
          title: t.key.split(' › ')[1]!,
          status: t.status,
          failureMessages: t.message ? [t.message] : [],
        })),
      },
    ],
  };
  const read = interpretResults(complete ? results : { testResults: [] }, ROOT);
  return {
    choice: 'ours',
    files: [P1_FILE],
    filtered,
    jestArgs: filtered ? ['-t', 'x'] : [],
    complete,
    exit: 'status 0',
    ...read,
    runFailures: [...read.runFailures, ...runFailures],
    counts: { passed: 0, failed: 0, unsupported: 0, skipped: 0, outsideTests: 0 },
    stderrTail: '',
  };
}

const listing = (entries: Record<string, string>): Map<string, Expectation> =>
  new Map(Object.entries(entries).map(([test, reason]) => [test, { reason, failure: 'x' }]));

describe('report outcomes (kit/judge.ts)', () => {
  const P1 = ruleById('P1');

  it('pass, fail, and fail when no test of the rule ran', () => {
    expect(judgeRule(P1, 'ours', run([{ key: 'P1 › a', status: 'passed' }]), new Map()).outcome).toBe('pass');
    const failed = judgeRule(
      P1,
      'ours',
      run([{ key: 'P1 › a', status: 'failed', message: 'RuleViolation: late\n    at f (x.ts:1:2)' }]),
      new Map(),
    );
    expect(failed).toMatchObject({ outcome: 'fail', reason: 'P1 › a: RuleViolation: late' });
    expect(failed.failures![0]!.message).toBe('RuleViolation: late');
    expect(judgeRule(P1, 'ours', run([{ key: 'P1 › a', status: 'pending' }]), new Map())).toMatchObject({
      outcome: 'fail',
      reason: 'no test of this rule ran',
    });
  });

  it('a file-level failure fails the rule even when every test passed', () => {
    const row = judgeRule(P1, 'ours', run([{ key: 'P1 › a', status: 'passed' }], { fileFailures: ['leak: processes left'] }), new Map());
    expect(row.outcome).toBe('fail');
    expect(row.failures).toEqual([expect.objectContaining({ kind: 'file', message: 'leak: processes left' })]);
  });

  it('expected failure: a listed test passed in Jest (it failed as listed); its reason is shown', () => {
    const row = judgeRule(P1, 'ours', run([{ key: 'P1 › a', status: 'passed' }]), listing({ 'P1 › a': 'deviation' }));
    expect(row).toMatchObject({ outcome: 'expected failure', reason: 'P1 › a: deviation' });
    expect(row.expectedFailures).toEqual([{ test: 'P1 › a', reason: 'deviation', failure: 'x', thisRun: 'failed as listed' }]);
  });

  it('unexpected pass: shown as such, and a failure beside it makes it a fail', () => {
    const passedListed = { key: 'P1 › a', status: 'failed', message: "RuleViolation: unexpected pass: 'P1 › a' is listed" };
    expect(judgeRule(P1, 'ours', run([passedListed]), listing({ 'P1 › a': 'r' }))).toMatchObject({
      outcome: 'unexpected pass',
      expectedFailures: [expect.objectContaining({ thisRun: 'passed (unexpected pass)' })],
    });
    const both = run([passedListed, { key: 'P1 › b', status: 'failed', message: 'Error: real' }]);
    expect(judgeRule(P1, 'ours', both, listing({ 'P1 › a': 'r' })).outcome).toBe('fail');
  });

  it('an expectation naming a test that is not in the results is an error, unless the run was filtered', () => {
    const tests = [{ key: 'P1 › a', status: 'passed' }];
    const stale = listing({ 'P1 › renamed': 'r' });
    const row = judgeRule(P1, 'ours', run(tests), stale);
    expect(row.outcome).toBe('fail');
    expect(row.reason).toMatch(/'P1 › renamed', which is not in the results/);
    expect(judgeRule(P1, 'ours', run(tests, { filtered: true }), stale).outcome).toBe('pass');
  });

  it('no results: every specified rule fails, the run row says why; planned rules stay not yet specified', () => {
    const none = run([], { complete: false, runFailures: ['no results for adapter choice ours: Jest wrote no results'] });
    expect(judgeRule(P1, 'ours', none, new Map()).outcome).toBe('fail');
    // Every catalogue rule is specified now: a planned one is made up for the check.
    const planned = { ...P1, id: 'X1', status: 'planned' as const };
    expect(judgeRule(planned, 'ours', none, new Map()).outcome).toBe('not yet specified');
    expect(judgeRun('ours', none, new Map())).toMatchObject({
      rule: RUN_ROW,
      outcome: 'fail',
      reason: expect.stringMatching(/^no results/),
    });
  });

  it('the run row fails on a run-level failure and on an expectation of a rule that is not specified', () => {
    expect(judgeRun('ours', run([{ key: 'P1 › a', status: 'passed' }]), new Map()).outcome).toBe('pass');
    expect(
      judgeRun('ours', run([], { runFailures: ['globalTeardown failed: the run leaked:\nprocess left behind: pid 7'] }), new Map()),
    ).toMatchObject({
      outcome: 'fail',
      reason: 'globalTeardown failed: the run leaked: process left behind: pid 7',
    });
    expect(judgeRun('ours', run([]), listing({ 'X1 › x': 'r' })).outcome).toBe('fail');
  });

  it('names implementations as their adapters do', () => {
    expect(
      ['ours', 'cpython', 'cpython:spawn', 'broken:drops-kwargs', './my/adapter.ts', './my/adapter.ts:spawn', './mine/index.js'].map(
        implementationName,
      ),
    ).toEqual(['ours', 'cpython-fork', 'cpython-spawn', 'broken:drops-kwargs', 'adapter', 'adapter-spawn', 'mine']);
  });
});

describe('prove verdicts (scripts/prove-specs-fail.ts)', () => {
  it('caught only by a failure of that rule matching its pattern, test-level or file-level', () => {
    const other = run([{ key: 'P1 › a', status: 'failed', message: 'Error: crashed\n    at f (x.ts:1:2)' }]);
    expect(verdict(other, 'P1', /returned late/)).toEqual({
      rule: 'P1',
      caught: false,
      line: 'fails otherwise than /returned late/: Error: crashed',
    });
    const right = run([{ key: 'P1 › a', status: 'failed', message: 'Error: crashed' }], {
      fileFailures: ['first\nstart() returned late by 5 ms'],
    });
    expect(verdict(right, 'P1', /returned late/g)).toMatchObject({
      caught: true,
      line: expect.stringMatching(/start\(\) returned late by 5 ms$/),
    });
    expect(verdict(run([{ key: 'P1 › a', status: 'passed' }]), 'P1', /x/)).toMatchObject({
      caught: false,
      line: 'no failure: 1 test(s) passed',
    });
    expect(verdict(run([]), 'P1', /x/)).toMatchObject({ caught: false, line: 'no test of this rule ran' });
  });

  it('matches anywhere in the message but never in stack frames', () => {
    expect(matchingLine('Error: a\n  detail: got 0\n    at f (x.ts:1:2)', /got \d/)).toBe('detail: got 0');
    expect(matchingLine('Error: a\n    at checks (spec/x.ts:1:2)', /checks/)).toBeNull();
  });
});
