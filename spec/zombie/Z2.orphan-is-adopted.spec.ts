import { describeRule } from '../harness/describe-rule';
import { outliveProgram } from '../harness/orphans';

/**
 * Detection: a child that dies with its parent (a death signal, an exit on the closed channel)
 * stops ticking and fails at once, naming when /proc saw it end; a parentProcess().isAlive() that
 * keeps saying true, or a child whose /proc ppid is not the one it reports, fails its own check; a
 * helper of the implementation left running once parent and orphan are gone fails as a leak.
 */
describeRule('Z2', (kit) => {
  kit.test(
    'a child whose parent is SIGKILLed keeps running, sees its parent dead, and is adopted by a live process (whole program)',
    async () => {
      await outliveProgram(kit, 'plain', 'SIGKILL');
    },
  );
});
