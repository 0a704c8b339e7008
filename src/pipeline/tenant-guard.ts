/**
 * A tenant's rules at the two places a call meets them, both before any upstream call: once per call
 * when it starts (the bot or model it targets, and its rpm: `admitTenantCall`), and per candidate
 * (a candidate of a direct call the tenant may not use is skipped, and the budget the reservation
 * covers: `tenantBudgetScope`, used by candidate-guard.ts). The rules themselves are
 * src/tenants/tenant-policy.ts.
 */
import type { TenantPolicy } from '../tenants/tenant-policy.js';
import type { CallPlan } from './call-plan.js';
import type { BudgetScope } from './candidate-guard.js';

/**
 * Check a planned call against its tenant: PermissionError for a bot (or session of a bot) or a model
 * the tenant may not call; a promise that rejects with RateLimitError when it is over its rpm
 * (undefined when there is nothing to wait for, so a call without rpm stays synchronous).
 */
export function admitTenantCall(plan: Pick<CallPlan, 'tenantId' | 'bot' | 'candidates'>, tenants: TenantPolicy | undefined): Promise<void> | undefined {
  const tenant = plan.tenantId;
  if (tenant === undefined || !tenants?.has(tenant)) return undefined;
  if (plan.bot !== undefined) tenants.checkBot(tenant, plan.bot);
  else if (!plan.candidates.some((candidate) => tenants.mayCallModel(tenant, candidate))) throw tenants.modelRefusal(tenant);
  return tenants.admit(tenant);
}

/**
 * Whether `candidate` of this plan may be called for its tenant: a bot's own models always (the bot
 * is what the tenant was allowed); a direct call's candidates only when `allowedModels` matches.
 * Throws the PermissionError the candidate loop treats as "skip to the next".
 */
export function checkTenantCandidate(plan: Pick<CallPlan, 'tenantId' | 'bot'>, candidate: string, tenants: TenantPolicy | undefined): void {
  const tenant = plan.tenantId;
  if (tenant === undefined || plan.bot !== undefined || !tenants) return;
  if (!tenants.mayCallModel(tenant, candidate)) throw tenants.modelRefusal(tenant);
}

/** The budgets one candidate's reservation covers: the bot's (and session's) and the tenant's, or none. */
export function budgetScopeOf(plan: Pick<CallPlan, 'tenantId' | 'bot' | 'sessionId' | 'botConfig'>, tenants: TenantPolicy | undefined): BudgetScope | undefined {
  const scope: BudgetScope = {};
  const budget = plan.botConfig?.budget;
  if (plan.bot !== undefined && budget && (budget.usdPerDay !== undefined || budget.usdPerSession !== undefined)) {
    scope.bot = plan.bot;
    scope.budget = budget;
    if (plan.sessionId !== undefined) scope.sessionId = plan.sessionId;
  }
  const tenantBudget = tenants?.budgetOf(plan.tenantId);
  if (tenantBudget) scope.tenant = { id: plan.tenantId!, budget: tenantBudget };
  return scope.budget || scope.tenant ? scope : undefined;
}
