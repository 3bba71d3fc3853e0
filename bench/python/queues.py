"""CPython's side of `npm run bench:queues` (bench/queues.ts): the same rounds as ours.

    python3 bench/python/queues.py METRIC START_METHOD REPS N

runs REPS rounds of METRIC (queueThroughput, pipeThroughput, queueRoundTrip, pipeRoundTrip,
bounded) with multiprocessing's START_METHOD, this process being the parent, and prints, as one
JSON line on stdout, a list with one entry per round, exactly as ours does (bench/queues.ts
--side): {"ns": the timed stretch, "n": items or round trips timed, "parent": {rssStartKb, hwmKb},
"producer": {pid, rssStartKb, hwmKb} or null}. The children are the functions below, which mirror
bench/queue-tasks.ts line for line. Every item is checked: one missing or out of order fails the
round (exit status 1).

Times are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns; Node's process.hrtime).
"""

import json
import multiprocessing as mp
import re
import sys
import time

now = time.monotonic_ns
WARM_UP = 200


def memory():
    """VmRSS and VmHWM (peak resident set) of this process, in kB."""
    with open("/proc/self/status") as f:
        status = f.read()

    def field(name):
        return int(re.search(rf"^{name}:\s*(\d+) kB", status, re.M).group(1))

    return {"rssKb": field("VmRSS"), "hwmKb": field("VmHWM")}


# --- the children -------------------------------------------------------------------------------


def produce(queue, n):
    rss_start = memory()["rssKb"]
    for i in range(n):
        queue.put(i)
    queue.put({"rssStartKb": rss_start, "hwmKb": memory()["hwmKb"]})


def send_all(conn, n):
    rss_start = memory()["rssKb"]
    for i in range(n):
        conn.send(i)
    conn.send({"rssStartKb": rss_start, "hwmKb": memory()["hwmKb"]})
    conn.close()


def echo_queue(there, back, n):
    for _ in range(n):
        back.put(there.get())


def echo_pipe(conn, n):
    for _ in range(n):
        conn.send(conn.recv())
    conn.close()


# --- the parent ---------------------------------------------------------------------------------


def check(got, expected):
    if got != expected:
        raise RuntimeError(f"expected item {expected!r}, got {got!r}: an item was lost, duplicated or reordered")


def receive_all(get, n):
    """Gets the producer's n integers in order; times from the first to the last. Returns (ns, its figures)."""
    check(get(), 0)  # waits for the child to start: not timed
    begin = now()
    for i in range(1, n):
        check(get(), i)
    end = now()
    figures = get()
    if not isinstance(figures, dict):
        raise RuntimeError(f"after {n} items, expected the producer's figures, got {figures!r}")
    return end - begin, figures


def join(p):
    p.join(120)
    if p.exitcode != 0:
        raise RuntimeError(f"{p.name} ended with exit code {p.exitcode}")


def round_trips(send, receive, n):
    for i in range(WARM_UP):  # the first waits for the child to start
        send(i)
        check(receive(), i)
    begin = now()
    for i in range(n):
        send(i)
        check(receive(), i)
    return now() - begin


def one_round(metric, ctx, n):
    rss_start = memory()["rssKb"]
    producer = None
    if metric in ("queueThroughput", "bounded"):
        q = ctx.Queue(1000 if metric == "bounded" else 0)
        p = ctx.Process(target=produce, args=(q, n), daemon=True)
        p.start()
        ns, figures = receive_all(q.get, n)
        join(p)
        producer = {"pid": p.pid, **figures}
        timed = n - 1
    elif metric == "pipeThroughput":
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=send_all, args=(w, n), daemon=True)
        p.start()
        w.close()
        ns, figures = receive_all(r.recv, n)
        join(p)
        producer = {"pid": p.pid, **figures}
        timed = n - 1
    elif metric == "queueRoundTrip":
        there, back = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=echo_queue, args=(there, back, WARM_UP + n), daemon=True)
        p.start()
        ns = round_trips(there.put, back.get, n)
        join(p)
        timed = n
    elif metric == "pipeRoundTrip":
        mine, theirs = ctx.Pipe()
        p = ctx.Process(target=echo_pipe, args=(theirs, WARM_UP + n), daemon=True)
        p.start()
        theirs.close()
        ns = round_trips(mine.send, mine.recv, n)
        join(p)
        timed = n
    else:
        raise SystemExit(f"unknown metric {metric}")
    parent = {"rssStartKb": rss_start, "hwmKb": memory()["hwmKb"]}
    return {"ns": ns, "n": timed, "parent": parent, "producer": producer}


def main():
    metric, method, reps, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = mp.get_context(method)
    print(json.dumps([one_round(metric, ctx, n) for _ in range(reps)]))


if __name__ == "__main__":
    main()
