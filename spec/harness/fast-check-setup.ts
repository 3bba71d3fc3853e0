/**
 * Jest setupFiles: fast-check's global settings. CI runs a fixed seed (reproducible; override with
 * KIT_SEED); a local run draws a new one. Either way a failure prints seed, path and replayPath.
 */
import fc from 'fast-check';

const fromEnv = process.env.KIT_SEED;
const seed = fromEnv !== undefined ? Number(fromEnv) : process.env.CI ? 20261124 : undefined;
fc.configureGlobal({ ...(seed !== undefined ? { seed } : {}), interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true });
