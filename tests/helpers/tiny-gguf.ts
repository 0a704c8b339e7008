/**
 * Writes a tiny but real GGUF model at test time (no model can be downloaded here): GGUF v3, llama
 * architecture, 2 layers, n_embd 64, 4 heads, feed-forward 128, random F32 weights from a seeded PRNG,
 * and an SPM vocabulary (unk/bos/eos, the 256 `<0xNN>` byte tokens, letters and a few word pieces) with
 * scores and token types, plus a small Jinja chat template. node-llama-cpp loads it in milliseconds and
 * generates (random) tokens, which is all the llama.cpp tests, the bench and the CLI demo need.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { seededRandom } from './seeded-random.js';

/** Options for `writeTinyGguf`. */
export interface TinyGgufOptions {
  /** PRNG seed for the weights; the same seed writes the same bytes. Default 1. */
  seed?: number;
  /** `llama.context_length` in the metadata. Default 256. */
  contextLength?: number;
}

const EMBEDDING = 64;
const HEADS = 4;
const FEED_FORWARD = 128;
const LAYERS = 2;
const ALIGNMENT = 32;
const SPACE = '\u2581';
const WORDS = ['the', 'and', 'hello', 'world', 'you', 'is', 'to', 'of', 'in', 'it', 'that', 'model', 'tiny', 'ok'];

/** The chat template stored in `tokenizer.chat_template` (node-llama-cpp renders chats through it). */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

/** GGUF metadata value types. */
const enum ValueType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

type MetadataValue =
  | { type: ValueType.Uint32 | ValueType.Int32 | ValueType.Float32; value: number }
  | { type: ValueType.Bool; value: boolean }
  | { type: ValueType.String; value: string }
  | { type: ValueType.Array; itemType: ValueType.String; value: string[] }
  | { type: ValueType.Array; itemType: ValueType.Float32 | ValueType.Int32; value: number[] };

/** Little-endian byte writer that grows as needed. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u32(value: number): void {
    this.ensure(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }
  i32(value: number): void {
    this.ensure(4);
    this.length = this.buffer.writeInt32LE(value, this.length);
  }
  u64(value: number): void {
    this.ensure(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(value), this.length);
  }
  f32(value: number): void {
    this.ensure(4);
    this.length = this.buffer.writeFloatLE(value, this.length);
  }
  u8(value: number): void {
    this.ensure(1);
    this.length = this.buffer.writeUInt8(value, this.length);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}


/** The SPM vocabulary: special tokens, the 256 byte fallbacks, then pieces with descending scores. */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = [SPACE];
  for (const letter of 'abcdefghijklmnopqrstuvwxyz') pieces.push(letter, SPACE + letter);
  for (const word of WORDS) pieces.push(SPACE + word);
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(1);
  }
  const scores = tokens.map((_, index) => (index < 259 ? 0 : -(index - 259)));
  return { tokens, scores, types };
}

interface Tensor {
  name: string;
  /** GGML order: the first dimension is the row length. */
  dims: number[];
}

function tensors(vocabSize: number): Tensor[] {
  const list: Tensor[] = [
    { name: 'token_embd.weight', dims: [EMBEDDING, vocabSize] },
    { name: 'output_norm.weight', dims: [EMBEDDING] },
    { name: 'output.weight', dims: [EMBEDDING, vocabSize] },
  ];
  for (let layer = 0; layer < LAYERS; layer++) {
    const at = `blk.${layer}`;
    list.push(
      { name: `${at}.attn_norm.weight`, dims: [EMBEDDING] },
      { name: `${at}.attn_q.weight`, dims: [EMBEDDING, EMBEDDING] },
      { name: `${at}.attn_k.weight`, dims: [EMBEDDING, EMBEDDING] },
      { name: `${at}.attn_v.weight`, dims: [EMBEDDING, EMBEDDING] },
      { name: `${at}.attn_output.weight`, dims: [EMBEDDING, EMBEDDING] },
      { name: `${at}.ffn_norm.weight`, dims: [EMBEDDING] },
      { name: `${at}.ffn_gate.weight`, dims: [EMBEDDING, FEED_FORWARD] },
      { name: `${at}.ffn_down.weight`, dims: [FEED_FORWARD, EMBEDDING] },
      { name: `${at}.ffn_up.weight`, dims: [EMBEDDING, FEED_FORWARD] },
    );
  }
  return list;
}

function writeValue(out: ByteWriter, entry: MetadataValue): void {
  out.u32(entry.type);
  switch (entry.type) {
    case ValueType.Uint32:
      out.u32(entry.value);
      return;
    case ValueType.Int32:
      out.i32(entry.value);
      return;
    case ValueType.Float32:
      out.f32(entry.value);
      return;
    case ValueType.Bool:
      out.u8(entry.value ? 1 : 0);
      return;
    case ValueType.String:
      out.string(entry.value);
      return;
    case ValueType.Array:
      out.u32(entry.itemType);
      out.u64(entry.value.length);
      for (const item of entry.value) {
        if (entry.itemType === ValueType.String) out.string(item as string);
        else if (entry.itemType === ValueType.Float32) out.f32(item as number);
        else out.i32(item as number);
      }
  }
}

/** Build the whole file in memory (about 0.5 MB). */
export function buildTinyGguf(options: TinyGgufOptions = {}): Buffer {
  const random = seededRandom(options.seed ?? 1);
  const vocab = vocabulary();
  const u32 = (value: number): MetadataValue => ({ type: ValueType.Uint32, value });
  const metadata: Array<[string, MetadataValue]> = [
    ['general.architecture', { type: ValueType.String, value: 'llama' }],
    ['general.name', { type: ValueType.String, value: 'tiny' }],
    ['general.alignment', u32(ALIGNMENT)],
    ['general.file_type', u32(0)],
    ['llama.context_length', u32(options.contextLength ?? 256)],
    ['llama.embedding_length', u32(EMBEDDING)],
    ['llama.block_count', u32(LAYERS)],
    ['llama.feed_forward_length', u32(FEED_FORWARD)],
    ['llama.attention.head_count', u32(HEADS)],
    ['llama.attention.head_count_kv', u32(HEADS)],
    ['llama.attention.layer_norm_rms_epsilon', { type: ValueType.Float32, value: 1e-5 }],
    ['llama.rope.dimension_count', u32(EMBEDDING / HEADS)],
    ['llama.vocab_size', u32(vocab.tokens.length)],
    ['tokenizer.ggml.model', { type: ValueType.String, value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: ValueType.Array, itemType: ValueType.String, value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: ValueType.Array, itemType: ValueType.Float32, value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: ValueType.Array, itemType: ValueType.Int32, value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: ValueType.Bool, value: true }],
    ['tokenizer.ggml.add_eos_token', { type: ValueType.Bool, value: false }],
    ['tokenizer.chat_template', { type: ValueType.String, value: TINY_CHAT_TEMPLATE }],
  ];
  const list = tensors(vocab.tokens.length);

  const out = new ByteWriter();
  out.u32(0x46554747); // "GGUF" read as a little-endian u32
  out.u32(3);
  out.u64(list.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, value);
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const tensor of list) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    const bytes = tensor.dims.reduce((product, dim) => product * dim, 1) * 4;
    sizes.push(bytes);
    offset += Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
  }
  out.pad(ALIGNMENT);
  list.forEach((tensor, index) => {
    const count = sizes[index] / 4;
    // Norm weights near 1 keep activations sane; other weights small and centred on 0.
    const isNorm = tensor.dims.length === 1;
    for (let i = 0; i < count; i++) out.f32(isNorm ? 1 : (random() - 0.5) * 0.2);
    out.pad(ALIGNMENT);
  });
  return out.bytes();
}

/** Write a tiny GGUF model to `path` (parent folders created). Returns its path and size in bytes. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<{ path: string; bytes: number }> {
  const file = buildTinyGguf(options);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, file);
  return { path, bytes: file.length };
}
