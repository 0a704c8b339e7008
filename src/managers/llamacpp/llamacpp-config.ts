/**
 * The settings of `providers.llamacpp` (schema, type, checks), shared by the definition
 * (llamacpp-provider.ts) and the manager.
 */
import { checkEntry } from '../../config/entry-checks.js';
import { numberCheck } from '../../config/field-checks.js';
import { describeValue, isPlainObject, ProblemList } from '../../config/problems.js';
import { configField, type ConfigSchemaNode } from '../../config/schema-fields.js';
import type { ConfigProblem } from '../../core/types.js';

/** Local GGUF models through node-llama-cpp. */
export interface LlamaCppProviderConfig {
  /** The folder of `<name>.gguf` files (`llamacpp:<name>`), relative to the working directory. */
  modelsDir: string;
  /** 0 = the machine's available parallelism. */
  threads: number;
  /** Offload to a GPU when one is available. */
  gpu: boolean;
  /** Context size of each loaded model, in tokens (capped at what the model was trained with). */
  contextSize: number;
  /** Prices per million tokens for local models, by model name (usually absent: cost null). */
  pricing?: Record<string, { inputPerMTok: number; outputPerMTok: number }>;
}

/** The config section and provider name. */
export const LLAMACPP_ID = 'llamacpp';

/** Defaults, formats and variables of `providers.llamacpp`. */
export const LLAMACPP_CONFIG_SCHEMA: ConfigSchemaNode = {
  modelsDir: configField('./models', 'sb-nonempty-string', 'Directory of GGUF files (llamacpp:<file name without .gguf>)', { env: 'LLAMACPP_MODELS_DIR' }),
  threads: configField(0, 'sb-int-min0', "CPU threads; 0 = the machine's available parallelism"),
  gpu: configField(false, 'sb-boolean', 'Offload to a GPU when one is available'),
  contextSize: configField(4096, 'sb-int-min1', 'Context size of each loaded model, in tokens'),
  pricing: configField<LlamaCppProviderConfig['pricing']>(undefined, Object, 'Prices per million tokens for local models, by model name'),
};

const PRICE_CHECKS = { inputPerMTok: numberCheck(0), outputPerMTok: numberCheck(0) };

/** Threads, context size, the models directory and the prices, under `path` (`providers.llamacpp`). */
export function validateLlamaCppConfig(config: LlamaCppProviderConfig, path: string): ConfigProblem[] {
  const problems = new ProblemList();
  if (typeof config.modelsDir !== 'string' || config.modelsDir.trim() === '') {
    problems.add(`${path}.modelsDir`, 'must name the folder that holds the .gguf files (e.g. ./models)');
  }
  if (!Number.isInteger(config.threads) || config.threads < 0) {
    problems.add(`${path}.threads`, `must be a whole number >= 0; 0 uses every available core${describeValue(config.threads, 'threads')}`);
  }
  if (!Number.isInteger(config.contextSize) || config.contextSize < 0) {
    problems.add(`${path}.contextSize`, `must be a whole number of tokens >= 0; 0 uses the model's own context length${describeValue(config.contextSize, 'contextSize')}`);
  }
  if (isPlainObject(config.pricing)) {
    for (const [model, entry] of Object.entries(config.pricing)) {
      checkEntry(entry, PRICE_CHECKS, Object.keys(PRICE_CHECKS), [...path.split('.'), 'pricing', model], problems);
    }
  }
  return problems.list();
}
