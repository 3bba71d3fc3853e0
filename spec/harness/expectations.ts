/**
 * Known failures, per implementation and per test: spec/expectations/<adapter name>.json (or the
 * file named by KIT_EXPECTED, for an adapter outside this repository). Each entry names the test
 * (`<rule id> › <test title>`), the reason, and a piece of the failure's first line, so that an
 * expected failure that fails for another reason is still a failure:
 *
 *   { "P9 › SIGINT ...": { "reason": "deviation: ...", "failure": "exit code: expected 1, got -2" } }
 *
 * A listed test that passes is an unexpected pass, and fails. A malformed file is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleViolation } from './checks';
import { REPO_ROOT } from './paths';

export interface Expectation {
  reason: string;
  failure: string;
}

const TITLE = /^[A-Z]+\d+ › .+/;

/** Parses and checks an expectations file's text; throws naming the file and the problem. */
export function parseExpectations(text: string, file: string): Map<string, Expectation> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`expectations file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error(`expectations file ${file} must hold one JSON object`);
  const out = new Map<string, Expectation>();
  for (const [title, entry] of Object.entries(data)) {
    const problem = !TITLE.test(title)
      ? 'its key must be "<rule id> › <test title>"'
      : typeof entry !== 'object' || entry === null || Array.isArray(entry)
        ? 'its value must be an object { reason, failure }'
        : Object.keys(entry).sort().join() !== 'failure,reason'
          ? `it must have exactly the keys reason and failure (has ${Object.keys(entry).join(', ') || 'none'})`
          : typeof (entry as Expectation).reason !== 'string' || typeof (entry as Expectation).failure !== 'string'
            ? 'reason and failure must be strings'
            : (entry as Expectation).reason.trim() === '' || (entry as Expectation).failure.trim() === ''
              ? 'reason and failure must not be empty'
              : null;
    if (problem) throw new Error(`expectations file ${file}: entry ${JSON.stringify(title)}: ${problem}`);
    out.set(title, entry as Expectation);
  }
  return out;
}

export function expectationsFileFor(adapterName: string): string {
  return process.env.KIT_EXPECTED ?? join(REPO_ROOT, 'spec', 'expectations', `${adapterName}.json`);
}

/** The expectations of an adapter: empty when it has no file. */
export function loadExpectations(adapterName: string): Map<string, Expectation> {
  const file = expectationsFileFor(adapterName);
  if (!existsSync(file)) {
    if (process.env.KIT_EXPECTED) throw new Error(`KIT_EXPECTED names ${file}, which does not exist`);
    return new Map();
  }
  return parseExpectations(readFileSync(file, 'utf8'), file);
}

/** Applies a known-failure expectation to a test's outcome; throws what the test must report. */
export function settle(key: string, failure: unknown, expected: Expectation | undefined, adapterName: string): void {
  if (!expected) {
    if (failure !== undefined) throw failure;
    return;
  }
  if (failure === undefined) {
    throw new RuleViolation(`unexpected pass: '${key}' is listed as a known failure of ${adapterName} (${expected.reason}), but it passed`);
  }
  const firstLine = (failure instanceof Error ? failure.message : String(failure)).split('\n')[0] ?? '';
  if (!firstLine.includes(expected.failure)) {
    throw new RuleViolation(
      `failed otherwise than expected: '${key}' is a known failure of ${adapterName} (${expected.reason}) with "${expected.failure}", but failed with: ${firstLine}`,
    );
  }
}
