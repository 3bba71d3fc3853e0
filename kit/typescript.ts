/**
 * An adapter written in TypeScript, run as it is: the kit compiles it (and any .ts module it loads)
 * with the TypeScript compiler of the user's project, file by file (`transpileModule`: no type
 * check, as ts-jest with isolatedModules), to CommonJS. Two uses, one compiler: the kit's Jest
 * transform (kit/jest-config.ts), and a require hook in the runner's own process, which loads the
 * adapter once before Jest starts. The kit itself is JavaScript and needs no TypeScript.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';

type TypeScript = typeof import('typescript');

export const TYPESCRIPT_FILE = /\.(c?ts|tsx)$/;

let compiler: TypeScript | undefined;

/** The TypeScript compiler: the user's project's (from the working folder), else one next to the kit. */
function typescript(file: string): TypeScript {
  if (compiler) return compiler;
  for (const from of [process.cwd(), file, __dirname]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional dependency, found at run time
      compiler = require(require.resolve('typescript', { paths: [from] })) as TypeScript;
      return compiler;
    } catch {
      // Not there: try the next place.
    }
  }
  throw new Error(
    `${file} is TypeScript, and no TypeScript compiler is installed: add it to your project (npm install --save-dev typescript), or give the kit the compiled JavaScript`,
  );
}

/** CommonJS from TypeScript, with an inline source map (stack traces name the .ts lines). */
export function transpile(source: string, file: string): string {
  const ts = typescript(file);
  return ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
}

/** Jest's transformer (kit/jest-config.ts names this module for .ts files). */
export default {
  process: (source: string, file: string): { code: string } => ({ code: transpile(source, file) }),
};

let registered = false;

/** Lets require() load .ts files in this process (the runner's check of an adapter before Jest starts). */
export function registerTypeScript(): void {
  if (registered) return;
  registered = true;
  const extensions = (Module as unknown as { _extensions: Record<string, (module: Module, file: string) => void> })._extensions;
  const load = (module: Module, file: string): void => {
    (module as unknown as { _compile(code: string, file: string): void })._compile(transpile(readFileSync(file, 'utf8'), file), file);
  };
  for (const extension of ['.ts', '.cts', '.tsx']) extensions[extension] ??= load;
}
