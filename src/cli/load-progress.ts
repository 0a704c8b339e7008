/**
 * Model-load progress on stderr: a redrawn bar on a terminal, two plain lines on a pipe (a log file
 * should not fill with carriage returns). Fed by createSwitchboard's `onModelLoadProgress`.
 */
import type { CliOutput } from './cli-io.js';

const BAR_WIDTH = 24;

/** Report progress (0..1) per model; `finish()` ends a bar left open (a load that failed half way). */
export interface LoadProgress {
  report(modelId: string, progress: number): void;
  finish(): void;
}

/** Draws load progress for each model that reports it. */
export function createLoadProgress(out: CliOutput): LoadProgress {
  let open: string | undefined;
  const started = new Set<string>();
  return {
    report(modelId, progress) {
      const fraction = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
      if (!out.isTTY) {
        if (!started.has(modelId)) {
          started.add(modelId);
          out.write(`loading ${modelId}...\n`);
        }
        if (fraction >= 1) {
          started.delete(modelId);
          out.write(`loaded ${modelId}\n`);
        }
        return;
      }
      const filled = Math.round(fraction * BAR_WIDTH);
      out.write(`\rloading ${modelId} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.round(fraction * 100)}%`);
      open = modelId;
      if (fraction >= 1) {
        out.write('\n');
        open = undefined;
      }
    },
    finish() {
      if (open !== undefined) out.write('\n');
      open = undefined;
      started.clear();
    },
  };
}
