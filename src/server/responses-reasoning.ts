/**
 * The Responses API's `reasoning` items both ways. An answer's reasoning blocks become one item whose
 * `summary` holds their text; when a block carries what its provider needs back in a follow-up (a
 * signature, redacted data: Anthropic signs its thinking), the item's `encrypted_content` carries the
 * blocks whole, so a stateless client that sends the item back (the openai SDK's `input.push(...output)`
 * loop, the AI SDK with `store: false`) returns them unchanged. It is opaque to clients but not
 * encrypted: `sb1.` then the blocks as base64url JSON. Chat completions carry the same through
 * OpenRouter's `reasoning_details` (chat-shapes.ts).
 */
import type { ReasoningBlock } from '../core/types.js';
import { checkKeys, invalid, isObject, unsupported } from './body-fields.js';

const PREFIX = 'sb1.';
/** More blocks than any provider writes in one answer; bounds the decoding of a caller's value. */
const MAX_BLOCKS = 256;
const PART_KEYS = new Set(['type', 'text']);

/** The item's `encrypted_content`, only when a block has what a follow-up must send back. */
export function encryptedReasoning(blocks: readonly ReasoningBlock[] | undefined): string | undefined {
  if (!blocks?.some((block) => block.signature !== undefined || block.redacted !== undefined)) return undefined;
  return PREFIX + Buffer.from(JSON.stringify(blocks), 'utf8').toString('base64url');
}

/** The `summary` of an item: one `summary_text` part per block with text. */
export function reasoningSummary(blocks: readonly ReasoningBlock[]): Array<{ type: 'summary_text'; text: string }> {
  return blocks.filter((block) => block.text !== '').map((block) => ({ type: 'summary_text', text: block.text }));
}

/** The blocks of an answer: its message's (with signatures), else its reasoning text as one block. */
export function answerReasoning(message: { reasoning?: ReasoningBlock[] }, text: string | undefined): ReasoningBlock[] | undefined {
  if (message.reasoning && message.reasoning.length > 0) return message.reasoning;
  return text ? [{ text }] : undefined;
}

/** A `reasoning` output item. */
export function reasoningItem(id: string, blocks: readonly ReasoningBlock[]): Record<string, unknown> {
  const item: Record<string, unknown> = { type: 'reasoning', id, summary: reasoningSummary(blocks) };
  const encrypted = encryptedReasoning(blocks);
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}

/** Our `encrypted_content` back to its blocks; anything else is a 400 naming `path`. */
function decodeEncrypted(value: string, path: string): ReasoningBlock[] {
  // Another service's encrypted reasoning (OpenAI's own) can only be read by that service.
  if (!value.startsWith(PREFIX)) throw unsupported(path, 'only encrypted_content this gateway wrote can be sent back; leave it out to send the summary as plain reasoning');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const wellFormed =
    Array.isArray(decoded) &&
    decoded.length <= MAX_BLOCKS &&
    decoded.every((block) => isObject(block) && typeof block.text === 'string' && ['signature', 'redacted'].every((key) => block[key] === undefined || typeof block[key] === 'string'));
  if (!wellFormed) throw invalid(`${path} is not encrypted_content this gateway wrote; send it back unchanged`, path);
  return (decoded as ReasoningBlock[]).map((block) => {
    const copy: ReasoningBlock = { text: block.text };
    if (block.signature !== undefined) copy.signature = block.signature;
    if (block.redacted !== undefined) copy.redacted = block.redacted;
    return copy;
  });
}

/** The text parts of a reasoning item's `summary` (`summary_text`) or `content` (`reasoning_text`). */
function textParts(value: unknown, type: string, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${path} must be an array of {"type": "${type}", "text"}`, path);
  return value.map((part, at) => {
    const here = `${path}[${at}]`;
    if (!isObject(part) || part.type !== type || typeof part.text !== 'string') throw invalid(`${here} must be {"type": "${type}", "text": "..."}`, here);
    checkKeys(part, PART_KEYS, here);
    return part.text;
  });
}

/**
 * A `reasoning` input item -> the blocks it stands for: what our `encrypted_content` carries (text
 * and signatures, exactly as the provider wrote them), else its summary and content texts, unsigned.
 */
export function reasoningBlocks(item: Record<string, unknown>, path: string): ReasoningBlock[] {
  const encrypted = item.encrypted_content;
  if (encrypted !== undefined && encrypted !== null) {
    if (typeof encrypted !== 'string') throw invalid(`${path}.encrypted_content must be a string`, `${path}.encrypted_content`);
    return decodeEncrypted(encrypted, `${path}.encrypted_content`);
  }
  const texts = [...textParts(item.summary, 'summary_text', `${path}.summary`), ...textParts(item.content, 'reasoning_text', `${path}.content`)];
  return texts.filter((text) => text !== '').map((text) => ({ text }));
}
