/**
 * The gateway and `switchboard serve` load the config once (they used to load it two and three
 * times: once for their own settings, again inside createSwitchboard), and serve that config as it
 * is. Counted through the environment: each load reads the whole environment once (every other
 * reader looks up single variables).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliOutput } from '../../src/cli/cli-io.js';
import { loadConfig, silentLogger } from '../../src/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { FakeProvider } from '../../src/testing/index.js';

/** An environment that counts how often it is read whole (a config load). */
function countingEnv(values: Record<string, string> = {}): { env: NodeJS.ProcessEnv; loads(): number } {
  let loads = 0;
  const env = new Proxy<NodeJS.ProcessEnv>(
    { ...values },
    {
      ownKeys(target) {
        loads++;
        return Reflect.ownKeys(target);
      },
    },
  );
  return { env, loads: () => loads };
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-once-'));
const CONFIG = join(dir, 'gateway.json');
writeFileSync(CONFIG, JSON.stringify({ models: {}, telemetry: { serviceName: 'once' }, bots: { helper: { model: 'fake:echo' } } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config loaded once', () => {
  it('startGateway loads it once, and not at all when given loadedConfig', async () => {
    const counted = countingEnv();
    const gw = await startGateway({ configFile: CONFIG, env: counted.env, managers: [new FakeProvider()], host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      expect(counted.loads()).toBe(1);
      expect(gw.switchboard.config.telemetry.serviceName).toBe('once');
    } finally {
      await gw.close();
    }
    const loaded = await loadConfig({ configFile: CONFIG, env: {}, extraProviders: ['fake'] });
    const again = countingEnv();
    const served = await startGateway({ loadedConfig: loaded, env: again.env, managers: [new FakeProvider()], host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      expect(again.loads()).toBe(0);
      expect(served.switchboard.config).toBe(loaded);
    } finally {
      await served.close();
    }
  });

  it('switchboard serve loads it once and serves it', async () => {
    const counted = countingEnv();
    const controller = new AbortController();
    let out = '';
    const stdout: CliOutput = {
      write: (text: string) => {
        out += text;
        // Listening: the config was loaded for the log level, telemetry and the gateway. Stop now.
        if (out.includes('listening on')) controller.abort();
      },
    };
    const stderr: CliOutput = { write: () => undefined };
    const code = await runCli(['serve', '--config', CONFIG, '--host', '127.0.0.1', '--port', '0'], {
      stdout,
      stderr,
      env: counted.env,
      cwd: dir,
      signal: controller.signal,
      switchboard: { managers: [new FakeProvider()], logger: silentLogger },
    });
    expect(code).toBe(0);
    expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(counted.loads()).toBe(1);
  });
});
