/**
 * Where Python's str.upper() and JavaScript's toUpperCase() give the same result, code point by code
 * point. Python 3.11 follows Unicode 14 and Node 20's ICU a later version, so a few dozen code points
 * (letters that gained a case mapping since) upper-case differently; T1 keeps its text to the others.
 * Python is asked once per Jest worker, for every code point whose upper-casing is not itself.
 */
import { execFileSync } from 'node:child_process';

export interface Agreement {
  /** True when both languages upper-case this code point alike (surrogates excluded: not text). */
  agrees(codePoint: number): boolean;
  /** The code points where they differ, ascending. */
  differ: number[];
  python: string;
}

let cached: Agreement | undefined;

const PYTHON_UPPER = [
  'import json, sys',
  'm = {c: chr(c).upper() for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and chr(c).upper() != chr(c)}',
  'print(json.dumps([sys.version.split()[0], m]))',
].join('\n');

export function upperCaseAgreement(): Agreement {
  if (cached) return cached;
  const python = process.env.KIT_PYTHON ?? 'python3';
  const [version, mapping] = JSON.parse(execFileSync(python, ['-c', PYTHON_UPPER], { encoding: 'utf8', maxBuffer: 1 << 24 })) as [
    string,
    Record<string, string>,
  ];
  const differ: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const char = String.fromCodePoint(cp);
    if (char.toUpperCase() !== (mapping[cp] ?? char)) differ.push(cp);
  }
  const set = new Set(differ);
  cached = { agrees: (cp) => !(cp >= 0xd800 && cp <= 0xdfff) && !set.has(cp), differ, python: `${python} ${version}` };
  return cached;
}
