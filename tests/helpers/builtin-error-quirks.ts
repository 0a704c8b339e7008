/**
 * Every built-in provider definition's error quirks at once: what src/core/error-mapping.ts applied
 * to every provider before the quirks moved into the definitions. Tests of the core mapping that
 * predate the move use it, so they still pin the same table.
 */
import { mergeErrorQuirks } from '../../src/core/error-mapping.js';
import { BUILTIN_PROVIDER_DEFINITIONS } from '../../src/managers/builtin-providers.js';

/** The union of the built-in definitions' `errorQuirks`. */
export const ALL_BUILTIN_ERROR_QUIRKS = mergeErrorQuirks(...BUILTIN_PROVIDER_DEFINITIONS.map((definition) => definition.errorQuirks));
