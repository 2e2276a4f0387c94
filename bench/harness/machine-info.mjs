// What the numbers were measured on, read from the machine and the installed packages (never typed in).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR } from './child-process.mjs';

const REPO_ROOT = join(BENCH_DIR, '..');

export const MEASURED_PACKAGES = [
  '@segment/analytics-node',
  'posthog-node',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  'express',
  'fastify',
  'undici',
  'autocannon',
  'typescript',
];

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function packageVersion(name) {
  const json = read(join(REPO_ROOT, 'node_modules', name, 'package.json'));
  return json ? JSON.parse(json).version : null;
}

function run(command, args) {
  try {
    return execFileSync(command, args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpuinfo = read('/proc/cpuinfo');
  const meminfo = read('/proc/meminfo');
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? NaN);
  const userAgentNpm = /npm\/([\d.]+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
  const self = JSON.parse(read(join(REPO_ROOT, 'package.json')));
  const commit = run('git', ['rev-parse', '--short', 'HEAD']);
  return {
    cpus: availableParallelism(),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Number.isFinite(memKiB) ? +(memKiB / 1024 / 1024).toFixed(1) : null,
    kernel: release(),
    loadAverageAtStart: loadavg().map((l) => +l.toFixed(2)),
    node: process.version,
    npm: userAgentNpm ?? run('npm', ['-v']),
    library: { name: self.name, version: self.version, commit },
    packages: Object.fromEntries(MEASURED_PACKAGES.map((name) => [name, packageVersion(name)])),
  };
}

export function currentLoad() {
  return loadavg().map((l) => +l.toFixed(2));
}
