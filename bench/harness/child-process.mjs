// Every measured thing runs in its own forked process: contenders never share an event loop, a heap or
// a JIT with each other, with the sink that counts their events, or with the load generator.
import { fork } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
const LOG_DIR = join(RESULTS_DIR, 'logs');

let sequence = 0;
const live = new Set();

/**
 * Forks `script` (relative to bench/) with an IPC channel. Its stdout/stderr go to a log file, not the
 * terminal: peers print warnings during outages, and the summary table must stay readable. The log's
 * tail is attached to the error when the child dies unexpectedly.
 */
export function forkChild(script, { name, args = [], env = {}, execArgv = [] } = {}) {
  mkdirSync(LOG_DIR, { recursive: true });
  const label = `${String(++sequence).padStart(3, '0')}-${name ?? script.replace(/[^\w]+/g, '-')}`;
  const logPath = join(LOG_DIR, `${label}.log`);
  const log = createWriteStream(logPath);
  const child = fork(join(BENCH_DIR, script), args, {
    execArgv: [...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  live.add(child);

  const inbox = [];
  const waiters = [];
  let exitError = null;
  child.on('message', (message) => {
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0].resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      log.end();
      if (code !== 0 && !child.expectedExit) {
        exitError = new Error(`${label} exited (code ${code}, signal ${signal}); log tail:\n${tail(logPath)}`);
      } else {
        exitError = new Error(`${label} has exited`);
      }
      for (const waiter of waiters.splice(0)) waiter.reject(exitError);
      resolve({ code, signal });
    });
  });

  return {
    label,
    logPath,
    pid: child.pid,
    exited,
    send(message) {
      if (child.connected) child.send(message);
    },
    /** Resolves with the next message of `type` (buffered if it already arrived). */
    next(type, timeoutMs = 120_000) {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]);
      if (exitError) return Promise.reject(exitError);
      return new Promise((resolve, reject) => {
        const waiter = { type, resolve, reject };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${label}: no '${type}' message within ${timeoutMs} ms; log: ${logPath}`));
        }, timeoutMs);
        waiter.resolve = (m) => (clearTimeout(timer), resolve(m));
        waiter.reject = (e) => (clearTimeout(timer), reject(e));
        waiters.push(waiter);
      });
    },
    async request(message, replyType, timeoutMs) {
      const reply = this.next(replyType, timeoutMs);
      this.send(message);
      return reply;
    },
    /** Asks the child to exit and waits; kills it (by pid, only this child) if it does not. */
    async stop(graceMs = 15_000) {
      child.expectedExit = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      this.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills the children this process forked (and only those), e.g. when a section fails midway. */
export function killAllChildren() {
  for (const child of live) {
    child.expectedExit = true;
    child.kill('SIGKILL');
  }
}

function tail(path) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-25).join('\n');
  } catch {
    return '(no log)';
  }
}
