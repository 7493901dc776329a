import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import path from 'node:path';

/** The workspace root (this file lives in <root>/test/monitoring). */
export const REPO_ROOT = path.resolve(__dirname, '../..');
export const INFRA = path.join(REPO_ROOT, 'infra');

const INSTALL_HINT = 'install Debian\'s prometheus package: `apt-get install -y prometheus` (it brings /usr/bin/prometheus and /usr/bin/promtool; CI installs it in .ci/run)';

/**
 * The path of `prometheus` or `promtool` (PROMETHEUS_BIN / PROMTOOL_BIN, else PATH). A missing
 * tool fails the test with the install line: these tests never skip.
 */
export function requireBinary(name: 'prometheus' | 'promtool'): string {
  const override = process.env[name === 'prometheus' ? 'PROMETHEUS_BIN' : 'PROMTOOL_BIN'];
  const candidates = override ? [override] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  throw new Error(`${name} not found${override ? ` at ${override}` : ' on PATH'}: ${INSTALL_HINT}`);
}

export interface ToolRun {
  status: number | null;
  output: string;
}

/** Runs promtool with the arguments (cwd infra/prometheus unless given) and returns what it printed. */
export function promtool(args: string[], options: { input?: string; cwd?: string } = {}): ToolRun {
  const r = spawnSync(requireBinary('promtool'), args, {
    cwd: options.cwd ?? path.join(INFRA, 'prometheus'),
    input: options.input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Fails with promtool's own output unless it exited 0. */
export function expectToolSuccess(run: ToolRun, what: string): void {
  if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}):\n${run.output}`);
}

/** Parses a YAML file (the `yaml` package); a syntax error names the file and the position. */
export function parseYamlFile(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'), { merge: true });
  } catch (err) {
    throw new Error(`${path.relative(REPO_ROOT, file)} is not valid YAML:\n${(err as Error).message}`);
  }
}
