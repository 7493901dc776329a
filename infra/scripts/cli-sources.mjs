// What the built CLI (apps/cli/dist) is built from: apps/cli and every workspace package it imports
// (following `workspace:` dependencies; only tsc-built ones, a tsconfig.build.json), each from its
// src/ without tests (as tsconfig.build.json leaves them out), package.json and tsconfig*.json, plus
// tsconfig.base.json. Plain Node, no dependencies.
//   node ../../infra/scripts/cli-sources.mjs stamp   (each package's build, after tsc) writes
//   dist/sources.sha256 of the package it runs in: a hash of the sources that build compiled.
// bootstrap.mjs (`pnpm wabulk …`) runs the build only when every package of it was built from its
// source as it is now.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_DIR = join(ROOT, 'apps', 'cli');
export const CLI_MAIN = join(CLI_DIR, 'dist', 'main.js');

/** The package folders of the closure, apps/cli first. */
export function cliPackageDirs(root = ROOT) {
  const byName = new Map();
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSync(join(root, group))) {
      const pkg = join(root, group, name, 'package.json');
      if (existsSync(pkg)) byName.set(JSON.parse(readFileSync(pkg, 'utf8')).name, join(root, group, name));
    }
  }
  const seen = [];
  const visit = (dir) => {
    if (seen.includes(dir) || !existsSync(join(dir, 'tsconfig.build.json'))) return;
    seen.push(dir);
    const { dependencies = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const [name, range] of Object.entries(dependencies)) if (String(range).startsWith('workspace:') && byName.has(name)) visit(byName.get(name));
  };
  visit(join(root, 'apps', 'cli'));
  return seen;
}

/** The source files of one package folder (absolute paths, sorted). */
export function sourceFiles(dir) {
  const files = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  if (existsSync(join(dir, 'src'))) walk(join(dir, 'src'));
  for (const f of readdirSync(dir)) if (f === 'package.json' || /^tsconfig.*\.json$/.test(f)) files.push(join(dir, f));
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Newest modification time of a package's sources (and tsconfig.base.json). */
export function newestSourceMtime(dir, root = ROOT) {
  return Math.max(statSync(join(root, 'tsconfig.base.json')).mtimeMs, ...sourceFiles(dir).map((f) => statSync(f).mtimeMs));
}

/** sha256 of a package's sources (relative paths and contents) and tsconfig.base.json. */
export function sourcesHash(dir, root = ROOT) {
  const hash = createHash('sha256');
  for (const file of [join(root, 'tsconfig.base.json'), ...sourceFiles(dir)]) {
    hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const stampOf = (dir) => join(dir, 'dist', 'sources.sha256');

/**
 * The packages of the CLI (folders) whose build is not that of their source as it is now; empty:
 * apps/cli/dist/main.js may run. Per package, cheap first: its dist entry (tsc writes it on every
 * build) newer than its sources. Failing that (a checkout or `touch` moves mtimes, and turbo's cache
 * then leaves dist as it is), the content: the stamp its build wrote against a hash of its sources now.
 */
export function staleCliPackages(root = ROOT) {
  if (!existsSync(CLI_MAIN)) return [CLI_DIR];
  return cliPackageDirs(root).filter((dir) => {
    const built = join(dir, 'dist', dir === CLI_DIR ? 'main.js' : 'index.js');
    if (!existsSync(built)) return true;
    if (statSync(built).mtimeMs >= newestSourceMtime(dir, root)) return false;
    return !(existsSync(stampOf(dir)) && readFileSync(stampOf(dir), 'utf8').trim() === sourcesHash(dir, root));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'stamp') {
  writeFileSync(stampOf(process.cwd()), `${sourcesHash(process.cwd())}\n`);
}
