/** The repository root, found the same way from spec/ (under Jest) and from dist/spec/ (compiled, e.g. for the bench). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot(__dirname);
/** Compiled output: children always start from JavaScript. */
export const DIST = join(REPO_ROOT, 'dist');
