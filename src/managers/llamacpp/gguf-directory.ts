/**
 * The GGUF files in `providers.llamacpp.modelsDir`: `<name>.gguf` is the model `llamacpp:<name>`.
 * Each file is described from its GGUF header (architecture, context length) and its size on
 * disk; descriptions are cached per file and re-read when the file changes. Without node-llama-cpp
 * (which parses the header) a file is described by name and size only.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidRequestError, NoSuchModelError } from '../../core/errors.js';
import type { NodeLlamaCpp, NodeLlamaCppLoader } from './node-llama-cpp-loader.js';

/** One GGUF model file, as discovery and the ModelCache see it. */
export interface GgufModelFile {
  /** The file name without `.gguf`: the model part of `llamacpp:<name>`. */
  name: string;
  path: string;
  /** Size on disk: what the ModelCache counts against maxMemoryBytes. */
  bytes: number;
  architecture?: string;
  /** The context length the model was trained with (`<arch>.context_length`). */
  contextLength?: number;
}

/** A directory of thousands of models is not scanned whole; descriptions are kept for this many files. */
const MAX_FILES = 1_000;
const GGUF_EXTENSION = /\.gguf$/i;
/** Vocabulary arrays are most of a header (megabytes on big models) and discovery needs none of them. */
const IGNORED_KEYS = ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'];

interface CachedFile {
  file: GgufModelFile;
  mtimeMs: number;
  /** False when node-llama-cpp could not be imported: the header is read again once it can be. */
  headerRead: boolean;
}

type HeaderFacts = Pick<GgufModelFile, 'architecture' | 'contextLength'>;

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Scans one models directory and describes its GGUF files. */
export class GgufDirectory {
  /** Absolute path of the models directory. */
  readonly dir: string;
  private readonly described = new Map<string, CachedFile>();

  constructor(
    modelsDir: string,
    private readonly loader: NodeLlamaCppLoader,
  ) {
    this.dir = resolve(modelsDir);
  }

  /** The last description of `name`, without touching the disk (for synchronous model info). */
  known(name: string): GgufModelFile | undefined {
    return this.described.get(name)?.file;
  }

  /** Every `.gguf` file in the directory; none when the directory does not exist. */
  async list(): Promise<GgufModelFile[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const names = entries.filter((entry) => GGUF_EXTENSION.test(entry)).sort().slice(0, MAX_FILES);
    const files: GgufModelFile[] = [];
    for (const entry of names) {
      const file = await this.describeFile(entry.replace(GGUF_EXTENSION, ''), join(this.dir, entry));
      if (file) files.push(file);
    }
    return files;
  }

  /** The file behind `llamacpp:<name>`; NoSuchModelError naming the directory when there is none. */
  async find(name: string): Promise<GgufModelFile> {
    if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.includes('\0')) {
      throw new InvalidRequestError(`llamacpp model names are GGUF file names in providers.llamacpp.modelsDir, without folders or ".gguf"`, { provider: 'llamacpp', model: name });
    }
    const exact = await this.describeFile(name, join(this.dir, `${name}.gguf`));
    if (exact) return exact;
    // `Model.GGUF` and other spellings of the extension still name the model `Model`.
    const other = (await this.list()).find((file) => file.name === name);
    if (other) return other;
    throw new NoSuchModelError(
      `llamacpp:${name} has no GGUF file: expected ${join(this.dir, `${name}.gguf`)} in providers.llamacpp.modelsDir (${this.dir})`,
      { provider: 'llamacpp', model: name },
    );
  }

  private async describeFile(name: string, path: string): Promise<GgufModelFile | undefined> {
    let stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (!stats.isFile()) return undefined;
    const cached = this.described.get(name);
    if (cached?.headerRead && cached.file.path === path && cached.file.bytes === stats.size && cached.mtimeMs === stats.mtimeMs) return cached.file;
    const header = await this.readHeader(path);
    const file: GgufModelFile = { name, path, bytes: stats.size, ...header };
    this.remember(name, { file, mtimeMs: stats.mtimeMs, headerRead: header !== undefined });
    return file;
  }

  /** The header facts; undefined when node-llama-cpp (which parses GGUF) cannot be imported. */
  private async readHeader(path: string): Promise<HeaderFacts | undefined> {
    let bindings: NodeLlamaCpp;
    try {
      bindings = await this.loader.load();
    } catch {
      // Listing must not need the optional peer: the file is still a model, by name and size. A call
      // that loads it reports the missing package (the loader remembers it for the provider status).
      return undefined;
    }
    let info: Awaited<ReturnType<typeof bindings.readGgufFileInfo>>;
    try {
      info = await bindings.readGgufFileInfo(path, { sourceType: 'filesystem', readTensorInfo: false, ignoreKeys: IGNORED_KEYS, logWarnings: false });
    } catch {
      // A damaged header must not hide the other models; loading this one reports the real error.
      return {};
    }
    const header: HeaderFacts = {};
    const architecture = info.metadata?.general?.architecture;
    if (typeof architecture === 'string') header.architecture = architecture;
    const contextLength = (info.architectureMetadata as { context_length?: unknown } | undefined)?.context_length;
    if (typeof contextLength === 'number' && contextLength > 0) header.contextLength = contextLength;
    return header;
  }

  private remember(name: string, entry: CachedFile): void {
    this.described.delete(name);
    if (this.described.size >= MAX_FILES) {
      const oldest = this.described.keys().next().value;
      if (oldest !== undefined) this.described.delete(oldest);
    }
    this.described.set(name, entry);
  }
}
