/**
 * The container image without a container engine: reads the Dockerfile and performs its steps in
 * a temporary folder, then runs the result the way the image runs it.
 *
 *   build stage    `npm ci` (here: a copy of the repository's installed node_modules, which
 *                  `npm ci` produced), `npm run build` (tsc with tsconfig.build.json), `npm prune
 *                  --omit=dev`, then the stage's later RUN lines that trim node_modules, verbatim;
 *   runtime stage  every COPY as written (`--from=build` paths from the build folder, the others
 *                  from the repository), its RUN lines with /app and the `node` user mapped, ENV,
 *                  WORKDIR, USER (the `node` user if it exists here, else `nobody`), ENTRYPOINT+CMD.
 *
 * `npm ci --omit=dev` itself is not run: it compiles better-sqlite3 when no prebuilt binary can be
 * downloaded (90 s here). Pruning a copy gives the same tree from the same lock file in ~2 s.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative } from 'node:path';
import { REPO_ROOT, buildInto, execForm, parseEnv, readDockerfile, run, type Stage } from './helpers.ts';

export const stages = readDockerfile();
export const runtime = stages.at(-1)!;
export const ops = (stage: Stage, op: string) => stage.instructions.filter((instruction) => instruction.op === op);
export const one = (stage: Stage, op: string) => {
  const found = ops(stage, op);
  assert.equal(found.length, 1, `expected one ${op} in the runtime stage`);
  return found[0]!.args;
};
export const WORKDIR = one(runtime, 'WORKDIR');

/** The image's files on this machine, and the user it runs as. */
export interface Image {
  readonly root: string;
  readonly buildApp: string;
  /** The folder standing in for WORKDIR. */
  readonly app: string;
  readonly uid: number;
  readonly gid: number;
  readonly user: string;
  /** Map a path in the image to the folder standing in for it. */
  host(path: string, base?: string): string;
}

function userIds(): { uid: number; gid: number; name: string } {
  const wanted = one(runtime, 'USER');
  if (process.getuid!() !== 0) {
    // Not root: cannot switch users, and already run as a non-root one.
    return { uid: process.getuid!(), gid: process.getgid!(), name: `uid ${process.getuid!()}` };
  }
  for (const name of [wanted, 'nobody']) {
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g'), name };
    } catch {
      // no such user here; try the next
    }
  }
  throw new Error('no non-root user to run as');
}

/** Perform the Dockerfile's build and runtime stages in a new temporary folder. */
export async function buildImage(): Promise<Image> {
  const root = mkdtempSync(join(tmpdir(), 'wa-router-container-'));
  chmodSync(root, 0o755);
  const { uid, gid, name: user } = userIds();
  assert.notEqual(uid, 0, 'the image must not run as root');
  const buildApp = join(root, 'build-app');
  const app = join(root, 'app');
  const host = (path: string, base = app): string => {
    if (!isAbsolute(path)) return join(base, path);
    const inside = relative(WORKDIR, path);
    assert.ok(!inside.startsWith('..'), `path ${path} outside ${WORKDIR}: extend the test`);
    return join(base, inside);
  };

  // ---- build stage ----
  const buildName = runtime.instructions.map((i) => /--from=(\S+)/.exec(i.args)?.[1]).find(Boolean);
  const build = stages.find((stage) => stage.name === buildName);
  assert.ok(build, `the runtime stage copies from "${buildName}", which is a stage of the Dockerfile`);
  const runs = ops(build, 'RUN').map((instruction) => instruction.args);
  const ci = runs.findIndex((line) => /\bnpm ci\b/.test(line));
  const prune = runs.findIndex((line) => /npm run build && npm prune --omit=dev/.test(line));
  assert.ok(
    ci >= 0 && prune > ci,
    'build stage: `npm ci`, then `npm run build && npm prune --omit=dev` (update this test if that changes)',
  );
  mkdirSync(buildApp);
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, file), join(buildApp, file));
  // = npm ci. Hard links (cp -al) make the copy instant; prune and rm only unlink, never write.
  await run('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(buildApp, 'node_modules')]).catch(() =>
    cpSync(join(REPO_ROOT, 'node_modules'), join(buildApp, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    }),
  );
  // npm rewrites its hidden lock file in place: never let it write through a link into the repository.
  rmSync(join(buildApp, 'node_modules', '.package-lock.json'), { force: true });
  await buildInto(join(buildApp, 'dist')); // = npm run build
  await run('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: buildApp });
  for (const line of runs.slice(prune + 1)) await run('sh', ['-c', line], { cwd: buildApp });

  // ---- runtime stage ----
  mkdirSync(app);
  for (const { args } of ops(runtime, 'COPY')) {
    const parts = args.split(' ');
    const from = parts.find((part) => part.startsWith('--from='));
    const [source, destination] = parts.filter((part) => !part.startsWith('--'));
    assert.ok(source && destination, `COPY ${args}`);
    const sourcePath = from ? host(source, buildApp) : join(REPO_ROOT, source);
    const target = /\/$|^\.$/.test(destination) ? join(host(destination), basename(source)) : host(destination);
    cpSync(sourcePath, target, { recursive: true, verbatimSymlinks: true });
  }
  for (const { args } of ops(runtime, 'RUN')) {
    const line = args.replaceAll(`${WORKDIR}/`, `${app}/`).replace(/\bnode:node\b/g, `${uid}:${gid}`);
    await run('sh', ['-c', line], { cwd: app });
  }
  execFileSync('chmod', ['-R', 'a+rX', app]);
  return { root, buildApp, app, uid, gid, user, host };
}

/** The image's ENV, with values that are image paths pointing at the folders standing in for them. */
export function imageEnv(image: Image): Record<string, string> {
  const env = parseEnv(
    ops(runtime, 'ENV')
      .map((instruction) => instruction.args)
      .join(' '),
  );
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value.startsWith(`${WORKDIR}/`) ? image.host(value) : value]),
  );
}

/** `docker run`: ENTRYPOINT + CMD as the image user, in WORKDIR, with the image's ENV. */
export function runImage(image: Image, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const [command, ...args] = [...execForm(one(runtime, 'ENTRYPOINT')), ...execForm(one(runtime, 'CMD'))];
  assert.equal(command, 'node');
  const child = spawn(process.execPath, args, {
    cwd: image.app,
    uid: image.uid,
    gid: image.gid,
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...imageEnv(image), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}
