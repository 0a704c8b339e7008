/**
 * CPU profiles of a steady state: the V8 sampling profiler (the same `.cpuprofile` that
 * `node --cpu-prof` writes) started after warm-up through the inspector, around one workload only,
 * and a summary of where the self time goes.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Run `work` under the CPU profiler and write the profile to `path`. */
export async function profiled<T>(path: string, work: () => Promise<T>, samplingIntervalUs = 100): Promise<T> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    await writeFile(path, JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile, as much of it as the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or one group. */
export interface SelfTime {
  name: string;
  where: string;
  group: string;
  ms: number;
  share: number;
}

/** Which part of the stack a frame belongs to: the library file, a package, Node, V8. */
export function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 / native';
  const library = /llm-switchboard-bench\/(src|bench|tests)\/(.+)\.js$/.exec(url);
  if (library) return `${library[1]}/${library[2]}.ts`;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch && !url.includes('llm-switchboard-bench')) return packageMatch[1]!;
  if (url.startsWith('node:internal/deps/undici')) return 'undici (fetch)';
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

/** Self time per function and per group, largest first. */
export function summarizeProfile(profile: CpuProfile): { total: number; functions: SelfTime[]; groups: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // The first delta is the gap between Profiler.start and the first sample (the inspector's own work).
  profile.samples.forEach((id, index) => {
    if (index > 0) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const functions = new Map<string, SelfTime>();
  const groups = new Map<string, SelfTime>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    total += us;
    const group = groupOf(frame.url, frame.functionName);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${frame.url}:${frame.lineNumber}`;
    const fn = functions.get(key) ?? { name, where: `${group}:${frame.lineNumber + 1}`, group, ms: 0, share: 0 };
    fn.ms += us / 1000;
    functions.set(key, fn);
    const bucket = groups.get(group) ?? { name: group, where: group, group, ms: 0, share: 0 };
    bucket.ms += us / 1000;
    groups.set(group, bucket);
  }
  const ranked = (items: Iterable<SelfTime>) =>
    [...items].map((item) => ({ ...item, share: total > 0 ? (item.ms * 1000) / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { total: total / 1000, functions: ranked(functions.values()), groups: ranked(groups.values()) };
}

/** True for frames of the library's own sources. */
function isLibraryFrame(node: ProfileNode | undefined): boolean {
  return node !== undefined && /llm-switchboard-bench\/src\//.test(node.callFrame.url);
}

/** True for the bench's own frames (the driver, the canned fetch). */
function isBenchFrame(node: ProfileNode | undefined): boolean {
  return node !== undefined && /llm-switchboard-bench\/bench\//.test(node.callFrame.url);
}

/**
 * Time charged to the library function nearest each sample: a sample in the SDK, undici, Node or
 * the GC called from a library function counts for that function, so "what does this function
 * cost, with everything it calls outside the library" can be read directly. Samples with no
 * library frame on their stack (the SDK's own work, the bench driver) go to one bucket.
 */
export function attributeToLibrary(profile: CpuProfile): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owner = new Map<number, ProfileNode | undefined>();
  const ownerOf = (id: number): ProfileNode | undefined => {
    if (owner.has(id)) return owner.get(id);
    let cursor: number | undefined = id;
    // Walking up, the first library or bench frame decides: work under the canned fetch is the bench's.
    while (cursor !== undefined && !isLibraryFrame(byId.get(cursor)) && !isBenchFrame(byId.get(cursor))) cursor = parent.get(cursor);
    const found = cursor === undefined || !isLibraryFrame(byId.get(cursor)) ? undefined : byId.get(cursor);
    owner.set(id, found);
    return found;
  };
  const totals = new Map<string, SelfTime>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (index === 0 || !node || node.callFrame.functionName === '(idle)') return;
    const us = profile.timeDeltas[index] ?? 0;
    total += us;
    const library = ownerOf(id);
    const group = library ? groupOf(library.callFrame.url, library.callFrame.functionName) : '(no library frame)';
    const name = library ? library.callFrame.functionName || '(anonymous)' : '(no library frame: SDK, GC, canned fetch, driver)';
    const key = library ? `${name}@${library.callFrame.url}:${library.callFrame.lineNumber}` : name;
    const entry = totals.get(key) ?? { name, where: library ? `${group}:${library.callFrame.lineNumber + 1}` : '—', group, ms: 0, share: 0 };
    entry.ms += us / 1000;
    totals.set(key, entry);
  });
  return [...totals.values()].map((item) => ({ ...item, share: total > 0 ? (item.ms * 1000) / total : 0 })).sort((a, b) => b.ms - a.ms);
}
