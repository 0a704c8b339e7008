/**
 * Checks of `tenants.<id>` (budgets, allow-lists, rpm) and of tenant ids wherever config names one
 * (`server.apiKeys[].tenant`). Tenant ids follow the rules of every id a caller may send
 * (`limits.maxIdLength`, no control characters), since the same ids arrive through `sb.generate({ tenantId })`.
 * Patterns are `*` globs (src/tenants/pattern.ts): `provider:model` ones in `allowedModels`,
 * `bot:<name>` ones in `allowedBots`.
 */
import type { SwitchboardConfig } from './types.js';
import { checkEntry } from './entry-checks.js';
import { checkPositiveNumber, intCheck, type FieldCheck } from './field-checks.js';
import { FORBIDDEN_KEYS, describeValue, type PathSegment, type ProblemList } from './problems.js';

/** Control characters: an id holding one would break log lines and Prometheus text (as in normalize-request.ts). */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** The prefix of bot patterns and of the gateway's bot model ids. */
export const BOT_PREFIX = 'bot:';
/** Most patterns per list: each call matches against every one. */
export const MAX_PATTERNS = 1000;

const checkUsd: FieldCheck = (value) => {
  const problem = checkPositiveNumber(value);
  return problem ? `${problem} (USD)` : undefined;
};
const BUDGET_KEYS: Record<string, FieldCheck> = { usdPerDay: checkUsd, usdPerMonth: checkUsd };
/** The lists are checked item by item below; the entry check only sees that they are there. */
const acceptAny: FieldCheck = () => undefined;
const TENANT_KEYS: Record<string, FieldCheck> = { budget: acceptAny, allowedModels: acceptAny, allowedBots: acceptAny, rpm: intCheck(1) };

/** The problem with a tenant id, if any. */
export function tenantIdProblem(id: string, maxIdLength: number): string | undefined {
  if (id.trim() === '') return 'must be a non-empty tenant id';
  if (id.length > maxIdLength) return `is longer than ${maxIdLength} characters (limits.maxIdLength)`;
  if (CONTROL_CHARACTERS.test(id)) return 'must not contain control characters (line breaks, tabs)';
  return undefined;
}

/** The problem with one allow-list pattern, if any. */
function patternProblem(pattern: string, kind: 'model' | 'bot', maxIdLength: number): string | undefined {
  if (pattern.length > maxIdLength) return `is longer than ${maxIdLength} characters (limits.maxIdLength)`;
  if (CONTROL_CHARACTERS.test(pattern)) return 'must not contain control characters';
  if (kind === 'bot') {
    return pattern.startsWith(BOT_PREFIX) && pattern.length > BOT_PREFIX.length ? undefined : 'must look like "bot:<name>" or "bot:*"';
  }
  if (pattern.startsWith(BOT_PREFIX)) return 'names a bot: list bots in allowedBots';
  const colon = pattern.indexOf(':');
  return colon > 0 && colon < pattern.length - 1 ? undefined : 'must look like "provider:model" (* matches any characters, e.g. "<provider>:*")';
}

function checkPatterns(value: unknown, kind: 'model' | 'bot', path: PathSegment[], maxIdLength: number, problems: ProblemList): void {
  const example = kind === 'bot' ? '["bot:support"]' : '["<provider>:*"]';
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of patterns like ${example}${describeValue(value)}`);
    return;
  }
  if (value.length > MAX_PATTERNS) problems.add(path, `has ${value.length} patterns; at most ${MAX_PATTERNS} (use * to cover many)`);
  value.forEach((item, index) => {
    const problem = typeof item === 'string' ? patternProblem(item, kind, maxIdLength) : 'must be a string';
    if (problem) problems.add([...path, index], problem);
  });
}

function checkTenant(id: string, tenant: unknown, maxIdLength: number, problems: ProblemList): void {
  const path: PathSegment[] = ['tenants', id];
  const idProblem = FORBIDDEN_KEYS.has(id) ? 'is not a usable tenant id' : tenantIdProblem(id, maxIdLength);
  if (idProblem) problems.add(path, idProblem);
  if (!checkEntry(tenant, TENANT_KEYS, [], path, problems)) return;
  if (tenant.budget !== undefined) checkEntry(tenant.budget, BUDGET_KEYS, [], [...path, 'budget'], problems);
  if (tenant.allowedModels !== undefined) checkPatterns(tenant.allowedModels, 'model', [...path, 'allowedModels'], maxIdLength, problems);
  if (tenant.allowedBots !== undefined) checkPatterns(tenant.allowedBots, 'bot', [...path, 'allowedBots'], maxIdLength, problems);
}

/** Every problem of `tenants` and of the tenant ids gateway keys name. */
export function checkTenants(config: SwitchboardConfig, problems: ProblemList): void {
  const maxIdLength = config.limits.maxIdLength;
  for (const [id, tenant] of Object.entries(config.tenants ?? {})) checkTenant(id, tenant, maxIdLength, problems);
  config.server.apiKeys.forEach((entry, index) => {
    if (typeof entry !== 'object' || entry === null || typeof entry.tenant !== 'string' || entry.tenant === '') return;
    const problem = tenantIdProblem(entry.tenant, maxIdLength);
    if (problem) problems.add(['server', 'apiKeys', index, 'tenant'], problem);
  });
}
