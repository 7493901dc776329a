// Summarises a V8 .cpuprofile (from `pnpm bench --cpu-prof`): self time by package/area and the
// hottest functions.
//   node --import tsx test/bench/profile-summary.ts <file.cpuprofile> [top=25] [skipMs=0]
// skipMs leaves out the first milliseconds of the profile (process start: tsx compiling, imports).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** "bullmq", "ioredis", "@wabulk/queue", "node:internal", "(gc)"… */
export function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ws = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (ws) return `@wabulk/${ws[2]}`;
  if (url.includes('/test/bench/')) return 'test/bench';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  return url.replace(/^.*\//, '');
}

function summarise(path: string, top: number, skipMs: number): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < skipMs * 1000) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'}  ${area}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const lines = [`${path}: ${(total / 1e6).toFixed(2)} s sampled${skipMs > 0 ? ` after the first ${skipMs} ms` : ''}`, '', 'self time by area:'];
  for (const [k, us] of sorted(areas).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('', 'hottest functions (self time):');
  for (const [k, us] of sorted(fns).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const [file, top = '25', skipMs = '0'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node --import tsx test/bench/profile-summary.ts <file.cpuprofile> [top] [skipMs]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarise(file, Number(top), Number(skipMs))}\n`);
}
