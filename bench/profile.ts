/**
 * Where an arm's CPU goes: `node bench/run.mjs profile [arm] [transport] [figure]` (defaults
 * sb-openai canned c50, then the same for its raw baseline) warms the arm up like the bench does,
 * records a V8 CPU profile of one long slice, and prints the top self-time frames and the self time
 * by file or package. Profiles land in bench/results/profiles/ (open them in Chrome DevTools).
 * For sb-gateway the gateway process itself runs under `node --cpu-prof` and is summarised too.
 * Knobs: PROFILE_CALLS (default 20,000 calls, or 3,000 streams for s50), PROFILE_TOP (default 25).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armByName } from './arms/index.js';
import type { Transport } from './arms/arm.js';
import { forkListening, stopChild } from './lib/child.js';
import { WORKER_EXEC_ARGV } from './lib/arm-runs.js';
import { compiledScript, resultsDir } from './lib/paths.js';
import { attributeToLibrary, summarizeProfile, type CpuProfile, type SelfTime } from './lib/profiling.js';
import { readSettings } from './lib/settings.js';
import { WorkerHandle } from './lib/worker-handle.js';
import type { Figure, SliceResult } from './lib/workloads.js';

const [armName = 'sb-openai', transport = 'canned', figure = 'c50'] = process.argv.slice(2) as [string?, Transport?, Figure?];
const top = Number(process.env.PROFILE_TOP ?? 25);
const calls = Number(process.env.PROFILE_CALLS ?? (figure === 's50' || figure === 's1' ? 3_000 : 20_000));
const settings = readSettings();
const profilesDir = join(resultsDir, 'profiles');

function byGroup(items: SelfTime[]): SelfTime[] {
  const groups = new Map<string, SelfTime>();
  for (const item of items) {
    const group = groups.get(item.group) ?? { ...item, name: item.group, where: item.group, ms: 0, share: 0 };
    group.ms += item.ms;
    group.share += item.share;
    groups.set(item.group, group);
  }
  return [...groups.values()].sort((a, b) => b.ms - a.ms);
}

function rows(items: SelfTime[]): string {
  return items
    .slice(0, top)
    .map((item) => `| ${(item.share * 100).toFixed(1)} % | ${item.ms.toFixed(0)} | \`${item.name}\` | ${item.where} |`)
    .join('\n');
}

async function profileArm(name: string, upstreamURL: string): Promise<string> {
  const arm = armByName(name);
  const worker = await WorkerHandle.start(`${name}/${transport}`, compiledScript('worker'), {
    ...process.env,
    BENCH_ARM: arm.name,
    BENCH_TRANSPORT: transport,
    BENCH_UPSTREAM: upstreamURL,
    BENCH_CHUNKS: String(settings.chunks),
  }, WORKER_EXEC_ARGV);
  try {
    await worker.request({ type: 'warmup', figures: ['c50', 's50'], plans: settings.warmup });
    const path = join(profilesDir, `${name}-${transport}-${figure}.cpuprofile`);
    const answer = await worker.request({ type: 'profile', figure, calls, path });
    const slice = answer.result as SliceResult;
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const summary = summarizeProfile(profile);
    const attributed = attributeToLibrary(profile);
    const perCall = slice.cpuUs / slice.calls;
    return [
      `## ${name} (${transport}, ${figure}): ${slice.calls} calls, ${perCall.toFixed(0)} µs CPU per call, ${summary.total.toFixed(0)} ms sampled on the main thread`,
      `Profile: ${path}`,
      '\n### Self time by file or package',
      '| share | ms | group | |\n| --- | --- | --- | --- |',
      summary.groups
        .slice(0, top)
        .map((group) => `| ${(group.share * 100).toFixed(1)} % | ${group.ms.toFixed(0)} | ${group.name} | |`)
        .join('\n'),
      `\n### Top ${top} functions by self time`,
      '| share | ms | function | where (compiled line) |\n| --- | --- | --- | --- |',
      rows(summary.functions),
      '\n### Library functions (src/) by self time',
      '| share | ms | function | where (compiled line) |\n| --- | --- | --- | --- |',
      rows(summary.functions.filter((item) => item.group.startsWith('src/'))),
      '\n### Time charged to the nearest library function (its self time plus the SDK, Node and GC work it calls directly)',
      '| share | ms | function | where (compiled line) |\n| --- | --- | --- | --- |',
      rows(attributed),
      '\n### The same, by library file',
      '| share | ms | file | |\n| --- | --- | --- | --- |',
      byGroup(attributed)
        .slice(0, top)
        .map((group) => `| ${(group.share * 100).toFixed(1)} % | ${group.ms.toFixed(0)} | ${group.name} | |`)
        .join('\n'),
      '',
    ].join('\n');
  } finally {
    await worker.request({ type: 'finish' }, 30_000).catch(() => undefined);
    await worker.stop();
  }
}

/** The gateway process's own profile (`node --cpu-prof`, its whole life), summarised like the arm's. */
async function gatewayProfileSection(dir: string): Promise<string> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) return `\n## Gateway process\nNo profile was written in ${dir}.\n`;
  const path = join(dir, files[0]!);
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile);
  return [
    `\n## The gateway process (node --cpu-prof, whole life including warm-up): ${summary.total.toFixed(0)} ms sampled`,
    `Profile: ${path}`,
    '\n### Self time by file or package',
    '| share | ms | group | |\n| --- | --- | --- | --- |',
    summary.groups
      .slice(0, top)
      .map((group) => `| ${(group.share * 100).toFixed(1)} % | ${group.ms.toFixed(0)} | ${group.name} | |`)
      .join('\n'),
    `\n### Top ${top} functions by self time`,
    '| share | ms | function | where (compiled line) |\n| --- | --- | --- | --- |',
    rows(summary.functions),
    '\n### Time charged to the nearest library function',
    '| share | ms | function | where (compiled line) |\n| --- | --- | --- | --- |',
    rows(attributeToLibrary(profile)),
    '\n### The same, by library file',
    '| share | ms | file | |\n| --- | --- | --- | --- |',
    byGroup(attributeToLibrary(profile))
      .slice(0, top)
      .map((group) => `| ${(group.share * 100).toFixed(1)} % | ${group.ms.toFixed(0)} | ${group.name} | |`)
      .join('\n'),
    '',
  ].join('\n');
}

await mkdir(profilesDir, { recursive: true });
const upstream = transport === 'loopback' ? await forkListening(compiledScript('fake-upstream'), { env: { ...process.env, BENCH_CHUNKS: String(settings.chunks) } }) : undefined;
try {
  const baseline = armByName(armName).baseline;
  const gatewayDir = armName === 'sb-gateway' ? join(profilesDir, `gateway-${Date.now()}`) : undefined;
  if (gatewayDir) {
    await rm(gatewayDir, { recursive: true, force: true });
    await mkdir(gatewayDir, { recursive: true });
    process.env.BENCH_GATEWAY_CPU_PROF = gatewayDir;
  }
  const sections = [await profileArm(armName, upstream?.url ?? '')];
  delete process.env.BENCH_GATEWAY_CPU_PROF;
  if (gatewayDir) sections.push(await gatewayProfileSection(gatewayDir));
  if (baseline !== armName) sections.push(await profileArm(baseline, upstream?.url ?? ''));
  const markdown = `# CPU profile: ${armName} vs ${baseline} (${transport}, ${figure})\n\n${sections.join('\n')}`;
  process.stdout.write(markdown);
  await writeFile(join(profilesDir, `${armName}-${transport}-${figure}.md`), markdown);
} finally {
  if (upstream) await stopChild(upstream.child);
}
