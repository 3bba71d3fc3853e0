/**
 * The kit's one clock: CLOCK_MONOTONIC in milliseconds. Node's process.hrtime and Python's
 * time.monotonic() both read it on Linux, so the parent, the harness and every child's observation
 * (fixtures/README.md, field `t`) share one time line that wall-clock changes cannot bend.
 */
export const monotonicNow = (): number => Number(process.hrtime.bigint()) / 1e6;
