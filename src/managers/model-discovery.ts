/**
 * Model discovery over an SDK's paged `{ id }` records (OpenAI-style `models.list()`): each id kept
 * merged with the catalog, at most `max` of them, so a big endpoint cannot grow the catalog without
 * bound; a failure while paging is mapped like any provider failure.
 */
import { mapProviderError, type ErrorOrigin } from '../core/error-mapping.js';
import type { ModelInfo } from '../core/types.js';

/** The ModelInfo of each id `list` pages through that `keep` accepts, at most `max`. */
export async function discoverModelInfos(
  list: () => AsyncIterable<{ id: string }>,
  keep: (id: string) => boolean,
  max: number,
  infoOf: (id: string) => ModelInfo,
  origin: ErrorOrigin,
): Promise<ModelInfo[]> {
  const found: ModelInfo[] = [];
  try {
    for await (const model of list()) {
      if (keep(model.id)) found.push(infoOf(model.id));
      if (found.length >= max) break;
    }
  } catch (error) {
    throw mapProviderError(error, origin);
  }
  return found;
}
