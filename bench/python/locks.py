"""CPython's side of `npm run bench` (bench/locks.ts): the same loops as bench/lock-tasks.ts.

    python3 bench/python/locks.py METRIC START_METHOD REPS N

runs REPS rounds of METRIC (uncontended, handOff, takeTurns, tickets, sh1Bare, sh1Locked) with
multiprocessing's START_METHOD and prints, as one JSON line on stdout, a list with one entry per
round: {"children": [what each child measured], "final": the shared state at the end, or null}.
bench/locks.ts turns these into figures, exactly as it does for ours.

Times are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns; Node's process.hrtime), a clock all
processes of the machine share.
"""

import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time

now = time.monotonic_ns


def write(out, result):
    with open(out, "w") as f:
        json.dump(result, f)


def arrive(ready, gate):
    """Counts this child in, then passes the gate the parent holds: the round's loops start together."""
    with ready.get_lock():
        ready.value += 1
    gate.acquire()
    gate.release()


def uncontended(lock, n, out):
    for _ in range(n // 10):
        lock.acquire()
        lock.release()
    begin = now()
    for _ in range(n):
        lock.acquire()
        lock.release()
    end = now()
    write(out, {"nsPerPair": (end - begin) / n})


def hand_off(mine, theirs, n, ready, gate, out):
    arrive(ready, gate)
    begin = now()
    for _ in range(n):
        mine.acquire()
        theirs.release()
    write(out, {"begin": begin, "end": now()})


def take_turns(me, turn, n, ready, gate, out):
    lock = turn.get_lock()
    arrive(ready, gate)
    begin = now()
    mine = misses = 0
    while mine < n:
        with lock:
            if turn.value % 2 == me:
                turn.value += 1
                mine += 1
            else:
                misses += 1
    write(out, {"begin": begin, "end": now(), "misses": misses})


def buy_tickets(lock, file, ready, gate, out):
    arrive(ready, gate)
    begin = now()
    bought = 0
    while True:
        with lock:
            with open(file) as f:
                left = json.load(f)["tickets"]
            if left <= 0:
                break
            tmp = f"{file}.{os.getpid()}"
            with open(tmp, "w") as f:
                json.dump({"tickets": left - 1}, f)
            os.replace(tmp, file)
            bought += 1
    write(out, {"begin": begin, "end": now(), "bought": bought})


def increment(value, n, use_lock, ready, gate, out):
    lock = value.get_lock()
    arrive(ready, gate)
    begin = now()
    if use_lock:
        for _ in range(n):
            with lock:
                value.value += 1
    else:
        for _ in range(n):
            value.value += 1
    write(out, {"begin": begin, "end": now()})


def run_round(ctx, folder, jobs, gated):
    """Starts one child per (target, args), gated or not, and returns what each wrote."""
    outs = [os.path.join(folder, f"child-{i}.json") for i in range(len(jobs))]
    ready = ctx.Value("i", 0)
    gate = ctx.Lock()
    gate.acquire()
    procs = []
    for (target, args), out in zip(jobs, outs):
        extra = (ready, gate, out) if gated else (out,)
        procs.append(ctx.Process(target=target, args=(*args, *extra)))
    try:
        for p in procs:
            p.start()
        if gated:
            deadline = time.monotonic() + 60
            while ready.value < len(procs):
                if time.monotonic() > deadline or any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("the children did not all reach the gate")
                time.sleep(0.001)
        gate.release()
        for p in procs:
            p.join(120)
            if p.exitcode != 0:
                raise RuntimeError(f"{p.name} ended with exit code {p.exitcode}")
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    results = []
    for out in outs:
        with open(out) as f:
            results.append(json.load(f))
    return results


def one_round(metric, ctx, folder, n):
    if metric == "uncontended":
        return {"children": run_round(ctx, folder, [(uncontended, (ctx.Lock(), n))], False), "final": None}
    if metric == "handOff":
        a, b = ctx.Lock(), ctx.Lock()
        b.acquire()  # a is free: the first side goes first
        return {"children": run_round(ctx, folder, [(hand_off, (a, b, n)), (hand_off, (b, a, n))], True), "final": None}
    if metric == "takeTurns":
        turn = ctx.Value("i", 0)
        children = run_round(ctx, folder, [(take_turns, (me, turn, n)) for me in (0, 1)], True)
        return {"children": children, "final": turn.value}
    if metric == "tickets":
        file = os.path.join(folder, "tickets.json")
        with open(file, "w") as f:
            json.dump({"tickets": n}, f)
        lock = ctx.Lock()
        children = run_round(ctx, folder, [(buy_tickets, (lock, file))] * 8, True)
        with open(file) as f:
            return {"children": children, "final": json.load(f)["tickets"]}
    if metric in ("sh1Bare", "sh1Locked"):
        value = ctx.Value("i", 0)
        children = run_round(ctx, folder, [(increment, (value, n, metric == "sh1Locked"))] * 4, True)
        return {"children": children, "final": value.value}
    raise SystemExit(f"unknown metric {metric}")


def main():
    metric, method, reps, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = mp.get_context(method)
    rounds = []
    for _ in range(reps):
        folder = tempfile.mkdtemp(prefix="mp-kit-bench-locks-")
        try:
            rounds.append(one_round(metric, ctx, folder, n))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(rounds))


if __name__ == "__main__":
    main()
