/**
 * describeRule(id, body): the one way a spec file states which rule it checks. The title comes
 * from the catalogue (`P7: <title>`), the adapter from the Jest project, and every test gets the
 * dangling-process check; the adapter is passed explicitly, never through a global.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ruleById } from '../rules/catalogue';
import { checkNoDescendants, checkTestLeaks } from './leaks';
import { currentChoice, loadAdapter, type KitAdapter } from './load-adapter';
import { Observations } from './observations';
import { measureOverhead, type Overhead } from './overhead';
import { runProgram, type ProgramResult } from './programs';

export interface Kit {
  /** The adapter under test (valid inside tests and hooks). */
  readonly mp: KitAdapter;
  /** Observations written since the current test began. */
  readonly observations: Observations;
  /** A temp folder for this spec file, removed after it. */
  readonly tmpDir: string;
  /** Overhead of this adapter, measured once per spec file, in this run. */
  overhead(): Promise<Overhead>;
  /** Runs a fixture main program of this adapter's language. */
  runProgram(name: string, args?: string[]): Promise<ProgramResult>;
}

export function describeRule(id: string, body: (kit: Kit) => void): void {
  const rule = ruleById(id);
  if (rule.status !== 'specified') throw new Error(`rule ${id} is ${rule.status}: mark it specified in the catalogue first`);
  describe(`${id}: ${rule.title}`, () => {
    let adapter: KitAdapter | undefined;
    let observations: Observations | undefined;
    let overhead: Promise<Overhead> | undefined;
    let tmpDir: string | undefined;

    const kit: Kit = {
      get mp() {
        if (!adapter) throw new Error('kit.mp is only available inside tests and hooks');
        return adapter;
      },
      get observations() {
        if (!observations) throw new Error('kit.observations is only available inside tests');
        return observations;
      },
      get tmpDir() {
        tmpDir ??= mkdtempSync(join(tmpdir(), 'mp-kit-spec-'));
        return tmpDir;
      },
      overhead: () => (overhead ??= measureOverhead(kit.mp)),
      runProgram: (name, args = []) => runProgram(kit.mp.program(name, args)),
    };

    beforeAll(async () => {
      adapter = await loadAdapter(currentChoice());
    }, 30_000);
    beforeEach(() => {
      observations = new Observations();
      adapter?.takeHandles();
    });
    afterEach(async () => {
      if (adapter && observations) await checkTestLeaks(adapter.takeHandles(), observations.all());
    }, 15_000);
    afterAll(async () => {
      await adapter?.close();
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      await checkNoDescendants();
    }, 30_000);

    body(kit);
  });
}
