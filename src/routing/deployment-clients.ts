/**
 * One SDK client (or HTTP settings object) per deployment, each with its own transport pool
 * (UpstreamFetch), made once on the deployment's first attempt and released by the manager's
 * `close()`. A manager reads the attempt's `context.deployment` and asks for its client here; an
 * attempt without a deployment uses the manager's own client, as before.
 */
import { UpstreamFetch } from '../managers/hosted-endpoint.js';
import type { DeploymentRef } from './deployment-pool.js';

/** Builds the client of deployment `index`, sending through `upstream` (its own pools). */
export type DeploymentClientFactory<TClient> = (index: number, upstream: UpstreamFetch) => TClient;

/** The clients of one provider's deployments (bounded by its deployment list). */
export class DeploymentClients<TClient> {
  private readonly clients: Array<TClient | undefined>;
  private readonly upstreams: UpstreamFetch[];

  constructor(
    provider: string,
    count: number,
    private readonly build: DeploymentClientFactory<TClient>,
  ) {
    this.clients = new Array<TClient | undefined>(count);
    this.upstreams = Array.from({ length: count }, () => new UpstreamFetch({ provider }));
  }

  /** The client of `ref`, made on first use. */
  get(ref: DeploymentRef): TClient {
    let client = this.clients[ref.index];
    if (client === undefined) {
      client = this.build(ref.index, this.upstreams[ref.index]!);
      this.clients[ref.index] = client;
    }
    return client;
  }

  /** Drop the clients and release every deployment's pools; a later attempt makes new ones. */
  async close(): Promise<void> {
    this.clients.fill(undefined);
    await Promise.all(this.upstreams.map((upstream) => upstream.close()));
  }
}
