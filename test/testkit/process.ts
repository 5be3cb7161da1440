import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RouterProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: () => string;
}

/** Run `wa-router serve` as a real child process and wait until it listens (port from its log). */
export async function spawnRouter(configFile: string, env: NodeJS.ProcessEnv): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    // A router that starts too late must not outlive the test: its open pipes would keep the test
    // file's process running forever (seen under load, when the 15 s passed before it listened).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`router did not start:\n${output}`));
    }, 15_000);
    const check = (): void => {
      const match = /"port":(\d+).*"msg":"Router listening\."/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`router exited with ${code}:\n${output}`));
    });
  });
  return { child, port, output: () => output };
}

/** Resolves with the exit code (or signal) once the process is gone. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}
