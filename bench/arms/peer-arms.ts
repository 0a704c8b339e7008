/**
 * The peers (Vercel AI SDK, LangChain.js): small plain-ESM modules in bench/peers/ that import their
 * library from bench/node_modules (devDependencies of bench/ only, never of the package). They are
 * loaded by file URL at run time, so the project type-checks and builds without them installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSourceDir } from '../lib/paths.js';
import type { ArmClient, ArmDefinition, ArmEnv } from './arm.js';

/** What a peer module exports. */
interface PeerModule {
  create(env: ArmEnv): Promise<ArmClient>;
}

/** Packages a peer needs in bench/node_modules. */
const PEER_PACKAGES: Record<string, string[]> = {
  'vercel-ai': ['ai', '@ai-sdk/openai'],
  langchain: ['@langchain/openai', '@langchain/core'],
  'portkey-gateway': ['@portkey-ai/gateway'],
};

/** Why a peer arm cannot run here (its packages are missing), or undefined when it can. */
export function peerMissing(arm: string): string | undefined {
  const missing = (PEER_PACKAGES[arm] ?? []).filter((name) => !existsSync(join(benchSourceDir, 'node_modules', name, 'package.json')));
  return missing.length ? `not installed (${missing.join(', ')}): cd bench && npm ci` : undefined;
}

function peerArm(name: string, label: string, file: string): ArmDefinition {
  return {
    name,
    label,
    baseline: 'raw-openai',
    transports: ['canned', 'loopback'],
    async create(env) {
      const module = (await import(pathToFileURL(join(benchSourceDir, 'peers', file)).href)) as PeerModule;
      return module.create(env);
    },
  };
}

/** The peer library arms. */
export const peerArms: ArmDefinition[] = [
  peerArm('vercel-ai', 'Vercel AI SDK 6.0 (`ai` + `@ai-sdk/openai` chat model): generateText / streamText', 'vercel-ai.mjs'),
  peerArm('langchain', 'LangChain.js (`@langchain/openai` 1.5.8 ChatOpenAI): invoke / stream', 'langchain.mjs'),
];
