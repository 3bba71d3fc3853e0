/**
 * The Jest reporter of a kit run (kit/jest-config.ts), the runner's one source of what happened
 * (kit/run-jest.ts reads it):
 *
 * - as the run goes, a marker line on Jest's stderr when a spec file or a test starts and ends, the
 *   file's results, written beside the results file, named by the marker of its end (a marker stays
 *   short: a pipe interleaves writes longer than 4 KiB with the children's). Children of the processes under test inherit that stderr, so what
 *   they write lands between the markers of the test that started them: the runner keeps it, for a
 *   failed test, as the child output that may explain the failure (a traceback), and reports each
 *   rule as soon as its file ends;
 * - at the end, every result and the counts in the file named by KIT_JEST_RESULTS_FILE: written
 *   before the global teardown runs, so a teardown that throws (a leak) still leaves the results.
 */
import { writeFileSync } from 'node:fs';
import type { JestAssertion, JestFile, JestResults } from './results';
import { countResults, type AggregatedLike, type Counts } from './summary';

/** Where the reporter writes the results (set by the runner for the Jest process it starts). */
export const RESULTS_FILE_ENV = 'KIT_JEST_RESULTS_FILE';
/** Starts every marker line on stderr (the runner removes them from what it shows). */
export const MARKER = '::mp-kit-event:: ';

export type MarkerEvent =
  | { event: 'file-start'; file: string }
  | { event: 'test-start'; file: string; title: string; ancestorTitles: string[] }
  | { event: 'test-end'; file: string; title: string; ancestorTitles: string[]; status: string }
  | { event: 'file-end'; file: string; results?: string; duration: number | null };

export interface ResultsFile extends JestResults {
  counts: Counts;
}

interface TestLike {
  path: string;
}
interface FileResultLike {
  testFilePath: string;
  failureMessage?: string | null;
  testExecError?: { message?: unknown; stack?: unknown };
  perfStats?: { runtime?: number };
  testResults: (JestAssertion & { duration?: number | null })[];
}

function mark(event: MarkerEvent): void {
  // A leading newline: a child's unfinished line never swallows the marker.
  process.stderr.write(`\n${MARKER}${JSON.stringify(event)}\n`);
}

function fileOf(r: FileResultLike): JestFile {
  return {
    name: r.testFilePath,
    message: r.failureMessage ?? '',
    ...(r.testExecError
      ? { testExecError: { message: String(r.testExecError.message ?? ''), stack: String(r.testExecError.stack ?? '') } }
      : {}),
    assertionResults: r.testResults.map((t) => ({
      ancestorTitles: t.ancestorTitles,
      title: t.title,
      ...(t.fullName === undefined ? {} : { fullName: t.fullName }),
      status: t.status,
      failureMessages: t.failureMessages,
      duration: t.duration ?? null,
    })),
  };
}

export default class KitReporter {
  onTestFileStart(test: TestLike): void {
    mark({ event: 'file-start', file: test.path });
  }

  onTestCaseStart(test: TestLike, info: { title: string; ancestorTitles: string[] }): void {
    mark({ event: 'test-start', file: test.path, title: info.title, ancestorTitles: info.ancestorTitles });
  }

  onTestCaseResult(test: TestLike, result: { title: string; ancestorTitles: string[]; status: string }): void {
    mark({ event: 'test-end', file: test.path, title: result.title, ancestorTitles: result.ancestorTitles, status: result.status });
  }

  private files = 0;

  onTestFileResult(test: TestLike, result: FileResultLike): void {
    const all = process.env[RESULTS_FILE_ENV];
    const results = all === undefined ? undefined : `${all}.file-${++this.files}.json`;
    if (results !== undefined) writeFileSync(results, JSON.stringify(fileOf(result)));
    mark({
      event: 'file-end',
      file: test.path,
      ...(results === undefined ? {} : { results }),
      duration: result.perfStats?.runtime ?? null,
    });
  }

  onRunComplete(_contexts: unknown, aggregated: AggregatedLike & { testResults: FileResultLike[]; wasInterrupted?: boolean }): void {
    const file = process.env[RESULTS_FILE_ENV];
    if (!file) return;
    const results: ResultsFile = {
      testResults: aggregated.testResults.map(fileOf),
      wasInterrupted: Boolean(aggregated.wasInterrupted),
      counts: countResults(aggregated),
    };
    writeFileSync(file, JSON.stringify(results));
  }
}
