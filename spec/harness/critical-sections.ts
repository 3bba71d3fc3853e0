/**
 * Critical sections as the children record them (`enter` right after acquiring, `leave` right
 * before releasing; fixtures/README.md), and the checks the L rules make on them. The times are the
 * children's own CLOCK_MONOTONIC readings, shared by every process of the machine, so "B entered
 * before A left" is a fact about the lock, not a guess from the parent's side.
 */
import type { Adapter, LockHandle, ValueHandle } from '../adapter';
import { fail, show } from './checks';
import type { Observations } from './observations';

export interface Section {
  tok: string;
  enter: number;
  leave: number;
}

/** One section per token, from its `enter` and `leave` records; fails naming a token that lacks either. */
export function sectionsOf(observations: Observations, tokens: readonly string[]): Section[] {
  return tokens.map((tok) => {
    const enter = observations.of('enter', tok);
    const leave = observations.of('leave', tok);
    if (enter.length !== 1 || leave.length !== 1) {
      fail(`child [${tok}] recorded ${enter.length} 'enter' and ${leave.length} 'leave' (one of each expected)`);
    }
    return { tok, enter: enter[0]!.t, leave: leave[0]!.t };
  });
}

/** The first pair of sections that overlap (one entered before the other left), or null. */
export function firstOverlap(sections: readonly Section[]): [Section, Section] | null {
  const sorted = [...sections].sort((a, b) => a.enter - b.enter);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const after = sorted[i]!;
    if (after.enter < before.leave) return [before, after];
  }
  return null;
}

/** Fails when two sections overlap, naming both and by how much. */
export function expectNoOverlap(sections: readonly Section[], what: string): void {
  const pair = firstOverlap(sections);
  if (pair === null) return;
  const [a, b] = pair;
  fail(
    `${what}: [${b.tok}] entered ${(a.leave - b.enter).toFixed(1)} ms before [${a.tok}] left ` +
      `(sections in ms: ${show(sections.map((s) => [s.tok, +s.enter.toFixed(1), +s.leave.toFixed(1)]))})`,
  );
}

/** The adapter's maker of a shared object; a rule lists it in `needs`, so a missing one never gets here when probed. */
export function maker<K extends 'Lock' | 'RLock' | 'Value' | 'Queue' | 'JoinableQueue' | 'Pipe'>(
  mp: Adapter,
  member: K,
): NonNullable<Adapter[K]> {
  const make = mp[member];
  if (typeof make !== 'function') fail(`the implementation has no ${member}()`);
  return make.bind(mp) as NonNullable<Adapter[K]>;
}

export type { LockHandle, ValueHandle };
