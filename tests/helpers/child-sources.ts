/**
 * The library's sources as plain ESM for a child process (Node 20 cannot run TypeScript): every file
 * of src/ transpiled on its own (the project is `isolatedModules`, so per-file is what ts-jest does
 * too) into a directory under node_modules/.cache, where the packages resolve from the project's
 * node_modules. A test writes its child script next to them and runs it with `node`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A directory holding `src/` as JavaScript (import it as `<dir>/src/index.js`); `remove()` deletes it. */
export function transpiledSources(): { dir: string; remove(): void } {
  const cache = join(repoRoot, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'llm-switchboard-child-'));
  // Under node_modules/ Node sees no package scope: say the output is ESM.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.ES2022,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    isolatedModules: true,
    esModuleInterop: true,
  };
  for (const file of sourcesUnder(join(repoRoot, 'src'))) {
    const out = join(dir, relative(repoRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
