/**
 * Checking one object of a map with user-chosen keys (a rate limit, a price, a gateway key, a named
 * endpoint) against a table of field checks: unknown keys with a "did you mean", each value's check
 * with a safe echo, and required keys. Shared by the semantic checks and the provider definitions.
 */
import type { FieldCheck } from './field-checks.js';
import { describeValue, isPlainObject, unknownKeyMessage, type PathSegment, type ProblemList } from './problems.js';

/**
 * Check an object's keys against known ones; `required` keys must be present. False (and one
 * problem) when the value is no object at all.
 */
export function checkEntry(
  value: unknown,
  checks: Readonly<Record<string, FieldCheck>>,
  required: readonly string[],
  path: PathSegment[],
  problems: ProblemList,
): value is Record<string, unknown> {
  if (!isPlainObject(value)) {
    problems.add(path, `must be an object with the keys ${Object.keys(checks).join(', ')}${describeValue(value)}`);
    return false;
  }
  for (const [key, child] of Object.entries(value)) {
    const check = Object.prototype.hasOwnProperty.call(checks, key) ? checks[key] : undefined;
    if (!check) problems.add([...path, key], unknownKeyMessage(key, Object.keys(checks)));
    else if (child !== undefined) {
      const problem = check(child);
      if (problem) problems.add([...path, key], problem + describeValue(child, key));
    }
  }
  for (const key of required) if (value[key] === undefined) problems.add([...path, key], 'is required');
  return true;
}
