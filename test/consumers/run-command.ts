import { spawn } from 'node:child_process';

export interface CommandResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved as they arrived, for failure messages. */
  output: string;
  stdout: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** A safety net against a hung child, not a performance check: generous on purpose. */
  killAfterMs?: number;
}

/**
 * The environment a consumer's child process gets: the machine's, minus what the library's own
 * `npm test` run leaks into it (npm's per-package lifecycle variables, Jest's worker id), which would
 * make the child npm or Jest believe it runs inside this repository's scripts.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_package_') || key.startsWith('npm_lifecycle_') || key === 'JEST_WORKER_ID') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion and never rejects on a failure: callers assert on the result. */
export function runCommand(file: string, args: string[], options: RunOptions): Promise<CommandResult> {
  const command = `${file} ${args.join(' ')} (in ${options.cwd})`;
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const killer = setTimeout(
      () => {
        output += `\n[killed after ${options.killAfterMs} ms]\n`;
        child.kill('SIGKILL');
      },
      options.killAfterMs ?? 5 * 60_000,
    );
    child.on('error', (error) => {
      clearTimeout(killer);
      resolve({ command, code: null, signal: null, output: `${output}\n${error.message}`, stdout });
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ command, code, signal, output, stdout });
    });
  });
}

/** Throws with the command's whole output when it did not exit 0: setup steps have no other way to fail. */
export async function runOrThrow(file: string, args: string[], options: RunOptions): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    throw new Error(`${result.command} exited with ${result.code ?? result.signal}:\n${result.output}`);
  }
  return result;
}
