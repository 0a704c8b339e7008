/**
 * Drains a manager's stream (`streamResponse`) for assertions: the deltas, their joined text and the
 * finish part. `collectManaged` lets a failure reject; `collectManagedSafely` returns it as `error`
 * together with what arrived before it.
 */
import type { ManagedStreamPart } from '../../src/core/types.js';

/** The finish part of a managed stream. */
export type ManagedFinish = Extract<ManagedStreamPart, { type: 'finish' }>;

/** What a managed stream produced. */
export interface CollectedStream {
  deltas: string[];
  text: string;
  finish?: ManagedFinish;
  error?: unknown;
}

/** Drain `stream`; a failure rejects. */
export async function collectManaged(stream: AsyncIterable<ManagedStreamPart>): Promise<CollectedStream> {
  const collected: CollectedStream = { deltas: [], text: '' };
  for await (const part of stream) {
    if (part.type === 'text-delta') {
      collected.deltas.push(part.text);
      collected.text += part.text;
    } else if (part.type === 'finish') collected.finish = part;
  }
  return collected;
}

/** Drain `stream`; a failure comes back as `error`, with the deltas received before it. */
export async function collectManagedSafely(stream: AsyncIterable<ManagedStreamPart>): Promise<CollectedStream> {
  const collected: CollectedStream = { deltas: [], text: '' };
  try {
    for await (const part of stream) {
      if (part.type === 'text-delta') {
        collected.deltas.push(part.text);
        collected.text += part.text;
      } else if (part.type === 'finish') collected.finish = part;
    }
  } catch (error) {
    collected.error = error;
  }
  return collected;
}
