/**
 * The content blocks of a scripted FakeAnthropicServer answer, on the wire as the real Messages API
 * sends them (checked against @anthropic-ai/sdk 1.12's types, `ContentBlock` and
 * `RawMessageStreamEvent`):
 * - JSON: `text` (with `citations: null`), `thinking` (with its `signature`), `redacted_thinking`
 *   (`data`), `tool_use` (`id`, `name`, `input` object, `caller: { type: 'direct' }`);
 * - SSE, per block: content_block_start (text `''`, thinking `''` with signature `''`, tool_use with
 *   `input: {}`, redacted_thinking whole), its deltas (`text_delta`; `thinking_delta` then one
 *   `signature_delta`; `input_json_delta`, the first with `partial_json: ''` as the API sends it),
 *   content_block_stop.
 */
import { splitWords } from './fake-provider.js';

/** One block of a scripted answer, in Anthropic's names. `chunks` / `partialJson`: how it streams. */
export type AnthropicBlockScript =
  | { type: 'text'; text: string; chunks?: string[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; partialJson?: string[] };

/** The request fields that decide how a scripted `json` answer is shaped. */
export interface StructuredRequestFields {
  output_config?: { format?: unknown } | null;
  tool_choice?: { type?: string; name?: string } | null;
}

/** An SSE event frame. */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The blocks a `json` answer takes for `body`, as the real API would answer it: the input of the
 * forced tool when tool_choice names one, else a text block (native `output_config.format` answers,
 * and any request that asked for neither).
 */
export function structuredAnswerBlocks(json: string, body: StructuredRequestFields, id: string): AnthropicBlockScript[] {
  const forced = body.tool_choice?.type === 'tool' && !body.output_config?.format ? body.tool_choice.name : undefined;
  return forced ? [{ type: 'tool_use', id, name: forced, input: JSON.parse(json) as unknown }] : [{ type: 'text', text: json }];
}

/** The text blocks' text, joined (what usage is counted from). */
export function blocksText(blocks: AnthropicBlockScript[]): string {
  return blocks.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/** `end_turn`, or `tool_use` when the answer calls a tool. */
export function defaultStopReason(blocks: AnthropicBlockScript[]): string {
  return blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

/** The blocks of a JSON answer. */
export function blocksJson(blocks: AnthropicBlockScript[]): unknown[] {
  return blocks.map((block) => {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text, citations: null };
      case 'thinking':
        return { type: 'thinking', thinking: block.thinking, signature: block.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: block.data };
      case 'tool_use':
        return { type: 'tool_use', id: block.id, name: block.name, input: block.input, caller: { type: 'direct' } };
    }
  });
}

/** JSON text in three pieces (cut mid-token, as the API does), so a client must join them. */
function jsonPieces(input: unknown): string[] {
  const json = JSON.stringify(input);
  const third = Math.max(1, Math.ceil(json.length / 3));
  const pieces: string[] = [];
  for (let at = 0; at < json.length; at += third) pieces.push(json.slice(at, at + third));
  return pieces;
}

/** The SSE frames of one block at `index`: start, deltas, stop. */
function blockFrames(block: AnthropicBlockScript, index: number): string[] {
  const delta = (payload: Record<string, unknown>) => sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: payload });
  const frames: string[] = [];
  const start = (contentBlock: unknown) => frames.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: contentBlock }));
  switch (block.type) {
    case 'text':
      start({ type: 'text', text: '', citations: null });
      for (const text of block.chunks ?? splitWords(block.text)) frames.push(delta({ type: 'text_delta', text }));
      break;
    case 'thinking':
      start({ type: 'thinking', thinking: '', signature: '' });
      for (const thinking of splitWords(block.thinking)) frames.push(delta({ type: 'thinking_delta', thinking }));
      frames.push(delta({ type: 'signature_delta', signature: block.signature }));
      break;
    case 'redacted_thinking':
      start({ type: 'redacted_thinking', data: block.data });
      break;
    case 'tool_use':
      start({ type: 'tool_use', id: block.id, name: block.name, input: {}, caller: { type: 'direct' } });
      frames.push(delta({ type: 'input_json_delta', partial_json: '' }));
      for (const piece of block.partialJson ?? jsonPieces(block.input)) frames.push(delta({ type: 'input_json_delta', partial_json: piece }));
      break;
  }
  frames.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }));
  return frames;
}

/** Every block's frames, in order (the deltas of a scripted rich stream; `dieAfterChunks` counts them). */
export function blocksFrames(blocks: AnthropicBlockScript[]): string[] {
  return blocks.flatMap((block, index) => blockFrames(block, index));
}
