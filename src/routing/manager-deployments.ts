/**
 * What a manager holds for its deployments: the configured list and its router (DeploymentPool),
 * made on first use with the deps of that moment (routing settings, shared stores, logger), so a
 * manager whose deps a registry attaches later routes with the switchboard's settings.
 */
import type { ManagerDeps } from '../managers/manager-deps.js';
import type { DeploymentConfig } from './deployment-config.js';
import { DeploymentPool, type DeploymentStats } from './deployment-pool.js';

export type { DeploymentConfig } from './deployment-config.js';
export type { DeploymentRef, DeploymentStats } from './deployment-pool.js';

/** Failures of a shared store logged before only every 100th is: an outage must not flood the log. */
const LOGGED_FIRST_FAILURES = 3;

/** One manager's deployments and their router. */
export class ManagerDeployments {
  private list: readonly DeploymentConfig[] = [];
  private pool: DeploymentPool | undefined;
  private storeFailures = 0;

  constructor(
    private readonly provider: () => string,
    private readonly deps: () => ManagerDeps | undefined,
  ) {}

  /** The configured deployments (empty: none). */
  get configs(): readonly DeploymentConfig[] {
    return this.list;
  }

  /** Set the list (a manager's constructor); empty keeps the provider its own single deployment. */
  configure(list: readonly DeploymentConfig[] | undefined): readonly DeploymentConfig[] {
    this.list = list ?? [];
    this.pool = undefined;
    return this.list;
  }

  /** The router; undefined without deployments (then nothing of routing runs per call). */
  get router(): DeploymentPool | undefined {
    if (this.list.length === 0) return undefined;
    if (this.pool) return this.pool;
    const deps = this.deps();
    const routing = deps?.routing;
    const provider = this.provider();
    this.pool = new DeploymentPool(provider, this.list, {
      routing: routing?.settings,
      cooldowns: routing?.cooldowns,
      rateLimits: routing?.rateLimits,
      random: routing?.random,
      onStoreError: (error) => {
        this.storeFailures++;
        if (this.storeFailures <= LOGGED_FIRST_FAILURES || this.storeFailures % 100 === 0) {
          deps?.logger.warn("deployment routing: a shared store failed; this process's own view decides", { provider, error, failures: this.storeFailures });
        }
      },
    });
    return this.pool;
  }

  /** `stats().byDeployment` entries, keyed `provider/deployment`. */
  stats(): Record<string, DeploymentStats> {
    return this.router?.stats() ?? {};
  }
}
