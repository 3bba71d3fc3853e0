/**
 * The catalogue check: no rule without a spec, no spec without a rule, closed vocabularies only.
 * Spec files live in spec/<section>/<ID>.<behaviour>.spec.ts and call describeRule('<ID>') once.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FLAGS, RULES, SEEDS } from './catalogue';

const SPEC_ROOT = resolve(__dirname, '..');

function specFiles(): { file: string; section: string; ids: string[] }[] {
  const found = [];
  for (const section of readdirSync(SPEC_ROOT, { withFileTypes: true })) {
    if (!section.isDirectory()) continue;
    for (const name of readdirSync(join(SPEC_ROOT, section.name))) {
      if (!name.endsWith('.spec.ts')) continue;
      const text = readFileSync(join(SPEC_ROOT, section.name, name), 'utf8');
      const ids = [...text.matchAll(/describeRule\('([A-Z]+\d+)'/g)].map((m) => m[1]!);
      found.push({ file: `${section.name}/${name}`, section: section.name, ids });
    }
  }
  return found;
}

describe('rule catalogue', () => {
  const files = specFiles();

  it('ids are unique and well-formed', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(P|D|Z|L|Q|J|PC|PI|SH|T)\d+$/);
  });

  it('every flag and seed is from the closed vocabularies', () => {
    for (const rule of RULES) {
      for (const flag of rule.flags) expect(Object.keys(FLAGS)).toContain(flag);
      expect(rule.seeds.length).toBeGreaterThan(0);
      for (const seed of rule.seeds) expect(Object.keys(SEEDS)).toContain(seed);
    }
  });

  it('the seed files are named as in ../shared/seeds, and exist there when it is present', () => {
    // CI and the team's machines have shared/ beside the clone; a user's clone may not.
    const dir = resolve(__dirname, '../../../shared/seeds');
    for (const [id, { file }] of Object.entries(SEEDS)) {
      expect(file).toMatch(new RegExp(`^${id}_[0-9a-f]{16}\\.txt$`));
      if (existsSync(dir)) expect(existsSync(join(dir, file))).toBe(true);
    }
  });

  it('each spec file checks exactly one rule, named by its file name, in its section folder', () => {
    for (const { file, section, ids } of files) {
      expect({ file, ids }).toEqual({ file, ids: [expect.any(String)] });
      const rule = RULES.find((r) => r.id === ids[0]);
      expect({ file, rule: rule?.id }).toEqual({ file, rule: ids[0] });
      expect({ file, section }).toEqual({ file, section: rule!.section });
      expect(file.split('/')[1]!.startsWith(`${ids[0]}.`)).toBe(true);
    }
  });

  it('every specified rule has a spec and no planned rule has one', () => {
    const specified = new Set(files.flatMap((f) => f.ids));
    const missing = RULES.filter((r) => r.status === 'specified' && !specified.has(r.id)).map((r) => r.id);
    const early = RULES.filter((r) => r.status === 'planned' && specified.has(r.id)).map((r) => r.id);
    expect({ missing, early }).toEqual({ missing: [], early: [] });
  });

  it('every specified rule states its claim, the CPython truth, and any seed error or deviation in prose', () => {
    const prose = (text: string | undefined): boolean =>
      text === undefined || (text.trim().split(/\s+/).length >= 6 && /[.)]$/.test(text.trim()));
    const unclear = RULES.filter((r) => r.status === 'specified')
      .filter((r) => !prose(r.claim) || !prose(r.cpython) || !prose(r.seedErrors) || !prose(r.deviation))
      .map((r) => r.id);
    expect(unclear).toEqual([]);
  });

  it('every known failure of ours (spec/expectations/ours.json) is a test of a rule that documents a deviation', () => {
    const known = Object.keys(JSON.parse(readFileSync(resolve(__dirname, '../expectations/ours.json'), 'utf8')) as object);
    const undocumented = known.filter((title) => !RULES.find((r) => title.startsWith(`${r.id} › `))?.deviation);
    expect(undocumented).toEqual([]);
  });

  it('spec files declare their tests with kit.test only (a plain it() or test() would skip the budget, cleanup and expectations)', () => {
    const plain = files
      .filter(({ file }) => /^\s*(it|test)(\.each)?\(/m.test(readFileSync(join(SPEC_ROOT, file), 'utf8')))
      .map((f) => f.file);
    expect(plain).toEqual([]);
  });
});
