/** Every wait in a spec has its own deadline and, when it passes, says what did not happen. */
import { RuleViolation } from './checks';

/**
 * Settles like `promise`, or rejects after `ms` with "<what> did not happen within <ms> ms" (or
 * with `message`, when the default wording does not fit).
 */
export function within<T>(promise: Promise<T>, ms: number, what: string, message?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RuleViolation(message ?? `${what} did not happen within ${Math.round(ms)} ms`)), Math.max(0, ms));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
