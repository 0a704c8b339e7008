/**
 * `item_reference` input items (`{ "type": "item_reference", "id" }`, or OpenAI's typeless `{ "id" }`):
 * an earlier output item of this gateway, named by its id instead of sent again. The ids a body
 * references are read first (`referencedIds`), looked up once in the tenant's store of kept items
 * (response-items.ts), and each reference is then converted as the item itself would be
 * (responses-input.ts). Ids are checked for shape before any lookup, and a request references at
 * most MAX_REFERENCES items. A reference to an item not held (never written here, expired, evicted,
 * or another tenant's) is a 400 naming `input[i].id`; no message repeats the id.
 */
import { checkKeys, invalid, isObject, type Body } from './body-fields.js';
import { GatewayHttpError } from './errors.js';
import type { OutputItem } from './response-items.js';

/** Most item references in one request (each step of a tool loop references its text and reasoning). */
export const MAX_REFERENCES = 256;

/** What an id of a kept item looks like: `msg_` / `rs_` and the 24 hex characters of `itemId` (responses-object.ts). */
const KEPT_ID = /^(?:msg|rs)_[0-9a-f]{24}$/;
const REFERENCE_KEYS = new Set(['type', 'id']);

/** Items a request's references resolved to, by id. */
export type HeldItems = ReadonlyMap<string, OutputItem>;

/** No references, nothing held. */
export const NO_ITEMS: HeldItems = new Map();

/** True for an item reference: typed so, or OpenAI's typeless form (an `id`, no `role`). */
export function isReference(item: Body): boolean {
  if (item.type === 'item_reference') return true;
  return (item.type === undefined || item.type === null) && item.role === undefined && item.id !== undefined;
}

/** The well-shaped ids a body's `input` references, in order, at most MAX_REFERENCES (the conversion names what is wrong). */
export function referencedIds(body: unknown): string[] {
  const input = isObject(body) ? body.input : undefined;
  if (!Array.isArray(input)) return [];
  const ids: string[] = [];
  for (const item of input) {
    if (ids.length === MAX_REFERENCES) break;
    if (isObject(item) && isReference(item) && typeof item.id === 'string' && KEPT_ID.test(item.id)) ids.push(item.id);
  }
  return ids;
}

/**
 * The item a reference stands for; a 400 naming the path when it is malformed, one too many
 * (`index` counts the references so far, from 0), or not held.
 */
export function referencedItem(item: Body, path: string, index: number, held: HeldItems): OutputItem {
  checkKeys(item, REFERENCE_KEYS, path);
  if (index >= MAX_REFERENCES) throw invalid(`${path} is one item reference too many: a request may hold at most ${MAX_REFERENCES}; send earlier items inline`, path);
  const id = item.id;
  if (typeof id !== 'string' || !KEPT_ID.test(id)) {
    throw invalid(`${path}.id must be the id of a message or reasoning item this gateway wrote (msg_... or rs_..., as its answer carried it); function calls are sent inline`, `${path}.id`);
  }
  const found = held.get(id);
  if (!found) {
    throw GatewayHttpError.invalid(
      `${path}.id names an item this gateway does not hold (or no longer holds): it keeps the message and reasoning items of its answers for a while, per tenant (server.responseItems). Send the item itself instead of a reference (with the AI SDK: providerOptions.openai.store = false)`,
      `${path}.id`,
      'item_not_found',
    );
  }
  return found;
}
