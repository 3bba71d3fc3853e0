/**
 * The shared memory under our library's Lock, RLock and Value (src/shared-memory.ts,
 * native/shared_memory.cc) and the `shared` table of the start message (src/reduction.ts, wire
 * format v3), as a matter of security: a segment is a memfd only its user can open, a received
 * ref is checked in full before anything is opened, and a ref whose tag does not match the memory
 * it names is refused. Children run the compiled library (dist/src) and ./tasks/shared-objects.cjs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Library from '../../src';
import type * as Reduction from '../../src/reduction';
import { Observations } from '../harness/observations';
import { DIST } from '../harness/paths';
import { lib, start, useStartedChildren } from './started-children';
import { exposeGc, fdCount, memfdMaps, startMessage } from './shared-object-probes';

type Lock = Library.Lock | Library.RLock;
type SharedRef = ReturnType<Lock['toRef']> | ReturnType<Library.Value['toRef']>;
interface Tasks {
  useLock(tag: string, lock: Lock): Promise<void>;
  makeLockAndWait(tag: string): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the compiled library and tasks, as children run them */
const { decodeStart } = require(`${DIST}/src/reduction.js`) as typeof Reduction;
const tasks = require(join(__dirname, 'tasks', 'shared-objects.cjs')) as Tasks;
/* eslint-enable @typescript-eslint/no-require-imports */

useStartedChildren();

const pathOf = (ref: SharedRef): string => `/proc/${ref.segment.pid}/fd/${ref.segment.fd}`;

/** A well-formed start message whose `args` and `shared` are given; everything else is valid. */

/** decodeStart(text) must throw `expected`, and open and map nothing while doing so. */
/** What a refusal must be, every field: its class name and code, its message, its cause's message (null: no cause). */
interface Refusal {
  name: string;
  code: string;
  message: RegExp;
  cause: RegExp | null;
}

function refused(text: string, expected: RegExp | string | Refusal): void {
  const before = { fds: fdCount(), maps: memfdMaps() };
  let error: unknown = null;
  try {
    decodeStart(text);
  } catch (e) {
    error = e;
  }
  expect({ fds: fdCount(), maps: memfdMaps() }).toEqual(before);
  if (error === null) throw new Error(`decodeStart accepted ${text}`);
  if (typeof expected === 'object' && !(expected instanceof RegExp)) {
    const { name, code, message, cause } = error as { name?: unknown; code?: unknown; message?: unknown; cause?: { message?: unknown } };
    expect({ name, code }).toEqual({ name: expected.name, code: expected.code });
    expect(String(message)).toMatch(expected.message);
    if (expected.cause === null) expect(cause).toBeUndefined();
    else expect(String(cause?.message)).toMatch(expected.cause);
  } else expect(String((error as Error).message)).toMatch(expected);
}

/** A child holding a Lock this process has never mapped, and that Lock's ref. */
async function foreignLock(tag: string): Promise<{ child: Library.Process; ref: ReturnType<Library.Lock['toRef']> }> {
  const observations = new Observations();
  const child = start(tasks.makeLockAndWait, [tag]);
  const [made] = await observations.waitFor('made', { tok: tag });
  return { child, ref: made!.ref as ReturnType<Library.Lock['toRef']> };
}

describe('a segment is private to its user', () => {
  it('the memory of a Lock, an RLock and a Value is an anonymous memfd of mode 0600, owned by this uid, tagged at its start', () => {
    const objects = [new lib.Lock(), new lib.RLock(), new lib.Value('q', 1n), new lib.Value('d', 1, { lock: false })];
    const tags = new Set<string>();
    for (const object of objects) {
      const ref = object.toRef();
      const file = `/proc/self/fd/${ref.segment.fd}`;
      const status = statSync(file);
      expect({ mode: (status.mode & 0o7777).toString(8), uid: status.uid, file: status.isFile(), size: status.size }).toEqual({
        mode: '600',
        uid: process.getuid!(),
        file: true,
        size: ref.segment.size,
      });
      expect(readlinkSync(file)).toBe('/memfd:mp-kit-shared (deleted)');
      expect(ref.segment.pid).toBe(process.pid);
      expect(readFileSync(file).subarray(0, 16).toString('hex')).toBe(ref.segment.tag);
      tags.add(ref.segment.tag);
    }
    expect(tags.size).toBe(objects.length);
  });

  const root = process.getuid?.() === 0;
  const title = root
    ? 'another user (uid 65534) is refused /proc/<pid>/fd/<fd> of a segment (EACCES or EPERM); the same user is not'
    : 'the segment is mode 0600 (the other-user check needs root: run as root to spawn a process as uid 65534)';
  it(
    title,
    () => {
      const lock = new lib.Lock();
      const file = pathOf(lock.toRef());
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      if (!root) return;
      const probe = [
        "const fs = require('node:fs'); const out = {};",
        "for (const flags of ['r', 'r+']) { try { fs.closeSync(fs.openSync(process.argv[1], flags)); out[flags] = 'opened'; } catch (e) { out[flags] = e.code; } }",
        'process.stdout.write(JSON.stringify(out));',
      ].join('\n');
      const run = (as: { uid?: number; gid?: number }): unknown => {
        const result = spawnSync(process.execPath, ['-e', probe, file], {
          ...as,
          cwd: '/',
          env: { PATH: process.env.PATH },
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
        return JSON.parse(result.stdout);
      };
      const other = run({ uid: 65534, gid: 65534 }) as Record<string, string>;
      expect(['EACCES', 'EPERM']).toContain(other.r);
      expect(['EACCES', 'EPERM']).toContain(other['r+']);
      // The same path, from a process of this user: the refusal above is the uid's, not a bad path.
      expect(run({})).toEqual({ r: 'opened', 'r+': 'opened' });
    },
    20_000,
  );
});

describe('a malformed `shared` table is refused before anything is opened', () => {
  it('a well-formed table rebuilds the objects in place (the control for the cases below)', () => {
    const lock = new lib.Lock();
    const value = new lib.Value('i', 42);
    const decoded = decodeStart(
      startMessage({
        shared: [
          { at: ['args', 0], ref: lock.toRef() },
          { at: ['args', 1, 'v'], ref: value.toRef() },
          { at: ['kwargs', 'l'], ref: lock.toRef() },
        ],
        args: [null, { v: null, other: 1 }],
        kwargs: { l: null },
      }),
    );
    const [first, second] = decoded.args as unknown as [Library.Lock, { v: Library.Value; other: number }];
    expect(first).toBeInstanceOf(lib.Lock);
    expect((decoded.kwargs as unknown as { l: Library.Lock }).l).toBe(first);
    expect(second.other).toBe(1);
    expect(second.v.value).toBe(42);
    value.value = 43;
    expect(second.v.value).toBe(43);
  });

  it('each malformed entry names its problem, and nothing is attached', () => {
    const ref = new lib.Lock().toRef();
    const seg = ref.segment;
    const bad = (detail: string): RegExp => new RegExp(`^invalid start message \\(wire format v4 expected\\): ${detail}`);
    const place = (at: unknown): RegExp =>
      bad(`a shared object's place ${escape(JSON.stringify(at))} is not a null in state, args or kwargs`);
    const cases: [unknown, RegExp, unknown[]?][] = [
      [{ at: ['args', 0], ref }, bad('a field is missing or has the wrong type')], // `shared` is not an array
      [[{ at: ['args', 0], ref: 'Lock' }], bad("a shared object's ref is not an object")],
      [[{ at: ['args', 0], ref: null }], bad("a shared object's ref is not an object")],
      [[{ at: ['args', 0], ref: { ...ref, type: 'Semaphore' } }], bad(`a shared object's ref has an unknown type "Semaphore"`)],
      [[{ at: ['args', 0], ref: { ...ref, type: undefined } }], bad("a shared object's ref has an unknown type undefined")],
      [
        [{ at: ['args', 0], ref: { ...ref, type: 'Value', typecode: 'x', lock: null } }],
        bad("a shared object's ref has an unknown typecode"),
      ],
      [
        [
          {
            at: ['args', 0],
            ref: {
              type: 'Value',
              typecode: 'i',
              segment: seg,
              offset: 32,
              lock: { type: 'Value', typecode: 'i', segment: seg, offset: 32, lock: null },
            },
          },
        ],
        bad("a shared object's ref has a Value as its lock"),
      ],
      [
        [
          {
            at: ['args', 0],
            ref: { type: 'Value', typecode: 'i', segment: seg, offset: 32, lock: { ...ref, segment: { ...seg, tag: 'nope' } } },
          },
        ],
        bad("a shared object's ref has no valid segment"),
      ],
      [
        [{ at: ['args', 0], ref: { ...ref, segment: { ...seg, tag: seg.tag.slice(1) } } }],
        bad("a shared object's ref has no valid segment"),
      ],
      [
        [{ at: ['args', 0], ref: { ...ref, segment: { ...seg, tag: seg.tag.toUpperCase().replace(/^[0-9]/, 'A') } } }],
        bad("a shared object's ref has no valid segment"),
      ],
      [
        [{ at: ['args', 0], ref: { ...ref, segment: { ...seg, tag: `${seg.tag.slice(2)}zz` } } }],
        bad("a shared object's ref has no valid segment"),
      ],
      [[{ at: ['args', 0], ref: { ...ref, segment: { ...seg, pid: -1 } } }], bad("a shared object's ref has no valid segment")],
      [[{ at: ['args', 0], ref: { ...ref, segment: { ...seg, fd: 1.5 } } }], bad("a shared object's ref has no valid segment")],
      [[{ at: ['args', 0], ref: { ...ref, segment: { ...seg, pid: '1' } } }], bad("a shared object's ref has no valid segment")],
      [[{ at: ['args', 0], ref: { ...ref, segment: null } }], bad("a shared object's ref has no valid segment")],
      [[{ at: ['args', 0], ref: { ...ref, offset: 8 } }], bad("a shared object's ref has a bad offset")],
      [[{ at: ['args', 0], ref: { ...ref, offset: 20 } }], bad("a shared object's ref has a bad offset")],
      [[{ at: ['name'], ref }], place(['name'])],
      [[{ at: ['parent', 'pid'], ref }], place(['parent', 'pid'])],
      [[{ at: ['identity', 0], ref }], place(['identity', 0])],
      [[{ at: ['shared', 0], ref }], place(['shared', 0])],
      [[{ at: ['args'], ref }], place(['args'])],
      [[{ at: [], ref }], place([])],
      [[{ at: 'args', ref }], place('args')],
      [[{ ref }], bad("a shared object's place undefined is not")],
      [[{ at: ['args', 3], ref }], place(['args', 3])],
      [[{ at: ['args', 0, 'x'], ref }], place(['args', 0, 'x'])],
      [[{ at: ['args', 'length'], ref }], place(['args', 'length'])],
      [[{ at: ['args', 0], ref }], place(['args', 0]), [5]], // not a null placeholder: user data
      [[{ at: ['args', 0, 'k'], ref }], place(['args', 0, 'k']), [{ k: 'data' }]],
      [
        [
          { at: ['args', 0], ref },
          { at: ['args', 1], ref },
        ],
        place(['args', 1]),
      ], // the second has no place
    ];
    for (const [shared, expected, args] of cases) refused(startMessage(args ? { shared, args } : { shared }), expected);
  });

  it('a malformed entry after a well-formed one: the well-formed one is not attached either', async () => {
    const { ref } = await foreignLock('shm-foreign-first');
    const well = { at: ['args', 0], ref };
    refused(startMessage({ shared: [well, { at: ['args', 9], ref }] }), /a shared object's place \["args",9\] is not a null/);
    refused(
      startMessage({ shared: [well, { at: ['args', 1], ref: { ...ref, type: 'Semaphore' } }], args: [null, null] }),
      /has an unknown type "Semaphore"/,
    );
    // The control: the same entry alone is attached (one more descriptor and mapping) and works.
    const before = { fds: fdCount(), maps: memfdMaps() };
    const decoded = decodeStart(startMessage({ shared: [well] })).args[0] as unknown as Library.Lock;
    expect({ fds: fdCount(), maps: memfdMaps() }).toEqual({ fds: before.fds + 1, maps: before.maps + 1 });
    await expect(decoded.acquire({ block: false })).resolves.toBe(true);
    expect(String(decoded)).toBe('<Lock(owner=MainProcess)>');
    decoded.release();
  }, 20_000);

  it('a ref to a process or descriptor that does not exist is refused with SharedMemoryError (ERR_MP_SHARED_MEMORY), naming the pid', () => {
    const ref = new lib.Lock().toRef();
    const noProcess = 4_194_305; // above the kernel's largest pid_max
    refused(
      startMessage({ shared: [{ at: ['args', 0], ref: { ...ref, segment: { ...ref.segment, pid: noProcess, tag: 'a'.repeat(32) } } }] }),
      {
        name: 'SharedMemoryError',
        code: 'ERR_MP_SHARED_MEMORY',
        message: new RegExp(`^Lock cannot be reached: process ${noProcess}, which passed it on`),
        cause: new RegExp(`^open /proc/${noProcess}/fd/\\d+: No such file or directory$`),
      },
    );
    refused(
      startMessage({ shared: [{ at: ['args', 0], ref: { ...ref, segment: { ...ref.segment, fd: 999_999, tag: 'b'.repeat(32) } } }] }),
      {
        name: 'SharedMemoryError',
        code: 'ERR_MP_SHARED_MEMORY',
        message: new RegExp(`^Lock cannot be reached: process ${process.pid}, which passed it on`),
        cause: new RegExp(`^open /proc/${process.pid}/fd/999999: No such file or directory$`),
      },
    );
  });

  it('v1 (no `shared` table) and other versions are refused', () => {
    const v1 = JSON.parse(startMessage({ shared: [] })) as Record<string, unknown>;
    delete v1.shared;
    refused(JSON.stringify({ ...v1, v: 1 }), /got version 1/);
    refused(JSON.stringify({ ...v1, v: 3 }), /got version 3/);
    refused(JSON.stringify({ ...v1, v: 4 }), /a field is missing or has the wrong type/);
  });
});

describe('a ref must match the memory it names', () => {
  it('the same pid, descriptor, inode and size with another tag is refused (ERR_MP_SHARED_MEMORY), and leaves nothing open', async () => {
    const gc = exposeGc();
    const ownLock = new lib.Lock();
    const own = ownLock.toRef();
    const { child, ref: theirs } = await foreignLock('shm-foreign-tag');
    // What earlier tests left for the collector goes first, so that the baseline is what is in use.
    for (let i = 0; i < 3; i++) {
      gc?.();
      await sleep(10);
    }
    const baseline = { fds: fdCount(), maps: memfdMaps() };
    for (const ref of [own, theirs]) {
      const forged = { ...ref, segment: { ...ref.segment, tag: flip(ref.segment.tag) } };
      let error: unknown;
      try {
        decodeStart(startMessage({ shared: [{ at: ['args', 0], ref: forged }] }));
      } catch (e) {
        error = e;
      }
      const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: { message?: unknown } };
      expect({ name, code, cause: cause?.message }).toEqual({
        name: 'SharedMemoryError',
        code: 'ERR_MP_SHARED_MEMORY',
        cause: `${pathOf(ref)} carries another tag`,
      });
      // The real tag still works afterwards (the forged ref did not replace it).
      await expect(takeOnce(startMessage({ shared: [{ at: ['args', 0], ref }] }))).resolves.toBe(true);
    }
    expect(child.exitCode).toBeNull();
    child.kill();
    await child.join();
    // What the forged refs mapped before their tags were read, and the foreign Lock, are released once collected.
    if (gc) {
      for (let i = 0; i < 50 && (fdCount() > baseline.fds || memfdMaps() > baseline.maps); i++) {
        gc();
        await sleep(10);
      }
      // (One descriptor fewer, even: the killed child's IPC channel.)
      expect(memfdMaps()).toBe(baseline.maps);
      expect(fdCount()).toBeLessThanOrEqual(baseline.fds);
    } else {
      expect(fdCount()).toBeLessThanOrEqual(baseline.fds + 3);
    }
    expect(String(ownLock)).toBe('<Lock(owner=None)>'); // kept alive to here: its descriptor is in the baseline
  }, 20_000);

  it('another inode or another size is refused (ERR_MP_SHARED_MEMORY), naming the path', () => {
    const lock = new lib.Lock();
    const ref = lock.toRef();
    const tag = flip(ref.segment.tag);
    for (const segment of [
      { ...ref.segment, tag, ino: ref.segment.ino + 1 },
      { ...ref.segment, tag, size: 4096 },
    ]) {
      refused(startMessage({ shared: [{ at: ['args', 0], ref: { ...ref, segment } }] }), {
        name: 'SharedMemoryError',
        code: 'ERR_MP_SHARED_MEMORY',
        message: new RegExp(`^Lock cannot be reached: process ${ref.segment.pid}, which passed it on`),
        cause: new RegExp(`^${pathOf(ref)} is not the shared object that was passed$`),
      });
    }
    expect(String(lock)).toBe('<Lock(owner=None)>'); // kept alive to here, so its descriptor stays open
  });

  // BUG (src/handles.ts, checkRef): an offset is checked for its alignment and its lower bound but
  // not against the segment's size, so an offset past the end passes the check, the segment is
  // attached, and the Lock's constructor then fails with a RangeError ("Invalid typed array
  // length") instead of a start-message error. Fix: refuse `offset + 8 > segment.size` (a lock's
  // two words; a Value's cell is at a fixed offset) in checkRef. Remove `.failing` once fixed.
  it('an offset past the end of the segment is refused as a malformed start message', () => {
    const lock = new lib.Lock();
    const ref = lock.toRef();
    try {
      for (const offset of [64, 4096]) {
        refused(startMessage({ shared: [{ at: ['args', 0], ref: { ...ref, offset } }] }), /^invalid start message .*offset/);
      }
    } finally {
      expect(String(lock)).toBe('<Lock(owner=None)>'); // kept alive to here, so its descriptor stays open
    }
  });

  // BUG (src/synchronize.ts, SharedLock's constructor; src/sharedctypes.ts, Value's constructor):
  // only rebuild() registers an object with sharedObject(), so a ref to an object this process made
  // itself is rebuilt into a second object over the same memory. shared-memory.ts promises one
  // object per segment and offset per process; for an RLock a second object is a second owner.
  // No public path brings a ref back to its maker today, so this shows only through decodeStart.
  // Fix: register new objects in sharedObject() too. Remove `.failing` once fixed.
  it('a ref decoded in the process that made the object gives back that very object', () => {
    const made = [new lib.Lock(), new lib.RLock(), new lib.Value('i', 1)];
    const decoded = decodeStart(
      startMessage({
        shared: made.map((object, i) => ({ at: ['args', i], ref: object.toRef() })),
        args: [null, null, null],
      }),
    ).args;
    expect(decoded.map((object, i) => object === (made[i] as unknown))).toEqual([true, true, true]);
  });
});

describe('a shared object passed to a child', () => {
  // BUG (src/process.ts, Process.start: `s.args = []`, and nothing else keeps the objects): a Lock,
  // RLock or Value that only a started Process's args referred to can be collected before the child
  // has opened /proc/<parent>/fd/<fd>; the memfd is then closed and the child fails at boot with
  // "Lock cannot be reached: process <parent>, which passed it on, has ended" (exit 1), though the
  // parent is alive. docs/shared-objects.md names the window for a passer that dies, not for one that
  // lives; CPython's programming guidelines promise that an object passed as an argument is not
  // collected in the parent while the child lives. Fix: keep the shared objects of a start message
  // alive (e.g. in Popen) until the child has exited, or has acknowledged its start. While the bug
  // stands, this test's child prints that SharedMemoryError on stderr. Remove `.failing` once fixed.
  it('BUG: reaches the child even when the parent collects its last reference before the child attaches', async () => {
    const gc = exposeGc();
    if (!gc) throw new Error('no way to force a garbage collection here: the race cannot be shown');
    const observations = new Observations();
    // A fresh child (the spare's environment no longer matches) boots for tens of ms; it is stopped
    // at once as well, so it attaches only after the parent has collected the Lock.
    process.env.MP_KIT_SHM_FRESH = `${process.pid}-${Date.now()}`;
    let launched: { child: Library.Process; ref: SharedRef };
    try {
      launched = startWithUnreferencedLock('shm-collected-early');
    } finally {
      delete process.env.MP_KIT_SHM_FRESH;
    }
    const { child, ref } = launched;
    process.kill(child.pid!, 'SIGSTOP');
    try {
      for (let i = 0; i < 50 && stillOpen(ref); i++) {
        gc();
        await sleep(10);
      }
    } finally {
      process.kill(child.pid!, 'SIGCONT');
    }
    await child.join();
    expect({ exitCode: child.exitCode, used: observations.of('used', 'shm-collected-early').length }).toEqual({ exitCode: 0, used: 1 });
  }, 20_000);
});

/** Starts useLock with a Lock nothing else refers to; returns the Lock's ref, which is data only. */
function startWithUnreferencedLock(tag: string): { child: Library.Process; ref: SharedRef } {
  const lock = new lib.Lock();
  return { ref: lock.toRef(), child: start(tasks.useLock, [tag, lock]) };
}

/** Whether this process still holds the segment a ref of its own names. */
function stillOpen(ref: SharedRef): boolean {
  try {
    return statSync(`/proc/self/fd/${ref.segment.fd}`).ino === ref.segment.ino;
  } catch {
    return false;
  }
}

/**
 * Decodes a message whose args[0] is a Lock, takes it without waiting and gives it back. In a
 * function of its own, so that no variable of the test still refers to the Lock afterwards.
 */
async function takeOnce(text: string): Promise<boolean> {
  const lock = decodeStart(text).args[0] as unknown as Library.Lock;
  const taken = await lock.acquire({ block: false });
  if (taken) lock.release();
  return taken;
}

/** The same 32 hex digits with the first one changed. */
function flip(tag: string): string {
  return `${tag[0] === '0' ? '1' : '0'}${tag.slice(1)}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
