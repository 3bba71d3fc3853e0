/**
 * Which spec files a run runs, chosen from the catalogue: rules by id, exactly (P1 is P1, never P10
 * or P11), or whole sections; by default every specified rule. A rule's spec is the one file
 * spec/<section>/<ID>.<behaviour>.spec.ts, compiled to dist/spec (catalogue.test.ts keeps rules and
 * spec files one to one). An unknown id or section, or a rule that is not specified yet, is an error
 * that names what is known.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RULES, type Rule, type Section } from '../spec/rules/catalogue';
import { DIST } from '../spec/harness/paths';
import { KitUsageError } from './errors';

export const SPEC_DIR = join(DIST, 'spec');

export interface Selection {
  /** The rules run, in catalogue order. */
  rules: Rule[];
  /** Their compiled spec files, absolute paths, in the same order. */
  files: string[];
}

export const SECTIONS: readonly Section[] = [...new Set(RULES.map((r) => r.section))];

/** Splits "P1,P7 P9" or ["P1", "P7,P9"] into ids. */
export const splitList = (list: string | readonly string[]): string[] =>
  (typeof list === 'string' ? [list] : list)
    .flatMap((item) => item.split(/[\s,]+/))
    .map((item) => item.trim())
    .filter(Boolean);

/** The compiled spec file of a rule, or null. */
export function specFileOf(rule: Rule): string | null {
  const dir = join(SPEC_DIR, rule.section);
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).find((file) => file.startsWith(`${rule.id}.`) && file.endsWith('.spec.js'));
  return name ? join(dir, name) : null;
}

export function selectRules(options: { rules?: string | readonly string[]; section?: string | readonly string[] } = {}): Selection {
  const ids = options.rules === undefined ? undefined : splitList(options.rules);
  const sections = options.section === undefined ? undefined : splitList(options.section);
  if (ids !== undefined && sections !== undefined) throw new KitUsageError('choose rules or sections, not both');
  const specified = RULES.filter((r) => r.status === 'specified');
  let rules: Rule[];
  if (ids !== undefined) {
    if (ids.length === 0) throw new KitUsageError('no rule given (rules are ids such as P1,P7)');
    const unknown = ids.filter((id) => !RULES.some((r) => r.id === id));
    if (unknown.length > 0) {
      throw new KitUsageError(
        `unknown rule${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the rules are ${specified.map((r) => r.id).join(', ')}`,
      );
    }
    const planned = ids.filter((id) => !specified.some((r) => r.id === id));
    if (planned.length > 0)
      throw new KitUsageError(`rule${planned.length > 1 ? 's' : ''} ${planned.join(', ')} not specified yet: no spec to run`);
    rules = specified.filter((r) => ids.includes(r.id));
  } else if (sections !== undefined) {
    if (sections.length === 0) throw new KitUsageError(`no section given; the sections are ${SECTIONS.join(', ')}`);
    const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown.length > 0) {
      throw new KitUsageError(
        `unknown section${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the sections are ${SECTIONS.join(', ')}`,
      );
    }
    rules = specified.filter((r) => sections.includes(r.section));
  } else {
    rules = specified;
  }
  const files = rules.map((rule) => {
    const file = specFileOf(rule);
    if (!file)
      throw new KitUsageError(
        `no compiled spec of ${rule.id} under ${join(SPEC_DIR, rule.section)} (in a clone of the kit: npm run build)`,
      );
    return file;
  });
  return { rules, files };
}
