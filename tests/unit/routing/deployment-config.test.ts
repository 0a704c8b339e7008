/** Config of deployments and routing through loadConfig: defaults, problems by key path, no secret echoed. */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/core/errors.js';

const KEY = 'sk-deploy-secret-0123456789abcdef';

async function problemsOf(config: Record<string, unknown>): Promise<string> {
  try {
    await loadConfig({ configFile: [], config, env: {} });
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    const problems = (error as { problems?: Array<{ key: string; message: string }> }).problems ?? [];
    return `${(error as Error).message}\n${problems.map((p) => `${p.key}: ${p.message}`).join('\n')}`;
  }
  throw new Error('expected a ConfigError');
}

describe('deployments config', () => {
  it('defaults: no deployments, routing least-busy with a 30 s cooldown', async () => {
    const config = await loadConfig({ configFile: [], config: {}, env: {} });
    expect(config.providers.openai.deployments).toBeUndefined();
    expect(config.routing).toEqual({ strategy: 'least-busy', cooldownMs: 30000, latencyExploration: 0.1 });
  });

  it('accepts a valid list on a provider and on an openaiCompatible entry', async () => {
    const config = await loadConfig({
      configFile: [],
      config: {
        providers: {
          openai: { apiKey: KEY, deployments: [{ name: 'east', apiKey: KEY, baseURL: 'https://east.example/v1', weight: 2, rpm: 500, tpm: 200000 }, { name: 'west', models: ['gpt-4o-mini'] }] },
          openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:8000/v1', deployments: [{ name: 'r1', baseURL: 'http://127.0.0.1:8001/v1' }] } },
        },
        routing: { strategy: 'weighted' },
      },
      env: {},
    });
    expect(config.providers.openai.deployments).toHaveLength(2);
    expect(config.routing.strategy).toBe('weighted');
  });

  it('names each bad field by key path and never repeats a key', async () => {
    const message = await problemsOf({
      providers: {
        anthropic: {
          deployments: [
            { name: 'a b', weight: 0, rpm: 1.5, apiKey: `${KEY} ` },
            { name: 'dup' },
            { name: 'dup', baseURL: 'ftp://x', models: [] },
          ],
        },
      },
      routing: { strategy: 'fastest' },
    });
    for (const key of ['deployments[0].name', 'deployments[0].weight', 'deployments[0].rpm', 'deployments[0].apiKey', 'deployments[2].name', 'deployments[2].baseURL', 'deployments[2].models', 'routing.strategy']) {
      expect(message).toContain(key);
    }
    expect(message).not.toContain(KEY);
  });

  it('huggingface and ollama take deployments too (an ollama key is refused: it would go unused)', async () => {
    const config = await loadConfig({
      configFile: [],
      config: {
        providers: {
          huggingface: { deployments: [{ name: 'tgi-a', baseURL: 'http://127.0.0.1:8080' }, { name: 'router', apiKey: 'hf_deploymentTokenValue01' }] },
          ollama: { deployments: [{ name: 'gpu1', baseURL: 'http://10.0.0.1:11434' }, { name: 'gpu2', baseURL: 'http://10.0.0.2:11434', models: ['llama3.2'] }] },
        },
      },
      env: {},
    });
    expect(config.providers.huggingface.deployments).toHaveLength(2);
    expect(config.providers.ollama.deployments).toHaveLength(2);
    const message = await problemsOf({
      providers: {
        huggingface: { deployments: [{ name: 'x', baseURL: 'ftp://x' }, { name: 'x' }] },
        ollama: { deployments: [{ name: 'k', baseURL: 'http://10.0.0.1:11434', apiKey: KEY }, { name: 'bad', endpointUrl: 'http://x' }] },
      },
    });
    for (const key of ['huggingface.deployments[0].baseURL', 'huggingface.deployments[1].name', 'ollama.deployments[0].apiKey', 'ollama.deployments[1].endpointUrl']) expect(message).toContain(key);
    expect(message).not.toContain(KEY);
  });
});
