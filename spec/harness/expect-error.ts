/** Asserting on rejections by kit error code (spec/adapter.ts ERROR_CODES), with readable failures. */
import type { KitError, KitErrorCode } from '../adapter';
import { RuleViolation, show } from './checks';

/** Runs `action`, which must reject with `code`; returns the error for further checks. */
export async function rejectsWithCode(action: () => Promise<unknown>, code: KitErrorCode): Promise<KitError> {
  let outcome: unknown;
  try {
    outcome = await action();
  } catch (error) {
    const e = error as KitError;
    if (e.code !== code) {
      throw new RuleViolation(`expected a rejection with code ${code}, got code ${String(e.code)}: ${e.message}`, { cause: e });
    }
    return e;
  }
  // show(), not JSON: what resolved may be a handle or the implementation's own object (a start() that returns `this`).
  throw new RuleViolation(`expected a rejection with code ${code}, but it resolved with ${show(outcome)}`);
}
