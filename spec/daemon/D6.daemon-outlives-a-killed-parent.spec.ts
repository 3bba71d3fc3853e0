import { describeRule } from '../harness/describe-rule';
import { outliveProgram } from '../harness/orphans';

/**
 * The exit hook that terminates daemon children runs only when the main program ends by itself;
 * a death by signal runs nothing of the program. Detection: a daemon that dies with its parent
 * (a parent-death signal, an exit on the closed channel) stops ticking and fails at once, naming
 * when /proc saw it end.
 */
describeRule('D6', (kit) => {
  kit.test('a daemon child outlives its parent killed by SIGKILL, adopted like any orphan (whole program)', async () => {
    await outliveProgram(kit, 'daemon', 'SIGKILL');
  });

  kit.test('a daemon child outlives its parent ended by an unhandled SIGTERM too (whole program)', async () => {
    await outliveProgram(kit, 'daemon', 'SIGTERM');
  });
});
