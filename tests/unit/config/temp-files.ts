/**
 * Temporary config directories for the config tests: each test writes its files under a fresh
 * directory in os.tmpdir(), removed in afterAll.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory that config files are written into. */
export class TempConfigDir {
  private readonly made: string[] = [];

  /** A new empty directory; returns its path (use it as `cwd`). */
  async create(files: Record<string, unknown> = {}): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-config-'));
    this.made.push(dir);
    for (const [name, content] of Object.entries(files)) {
      const file = join(dir, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    }
    return dir;
  }

  /** Remove every directory made. */
  async cleanup(): Promise<void> {
    await Promise.all(this.made.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Every 8-character piece of a secret: none may appear in anything the library emits. */
export function secretPieces(secret: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) pieces.push(secret.slice(i, i + 8));
  return pieces;
}
