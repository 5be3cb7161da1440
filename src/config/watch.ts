import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Changes within this long are taken as one save (editors write, rename and chmod in a burst). */
const DEBOUNCE_MS = 300;
/** The stat poll that catches what directory events miss (network filesystems, symlink swaps). */
const POLL_MS = 1_000;

/**
 * Call `onChange` when the config file's content changes, however it is saved: written in place,
 * replaced by a rename (`sed -i`, vim, most editors) or swapped through a symlink (a Kubernetes
 * ConfigMap). Watching the file itself stops at the first replacement (the watch follows the old
 * inode), so this watches its folder and also polls its stat by path, and compares content hashes,
 * so a touch or an unrelated file in the folder does not reload. Returns the function that stops it.
 */
export function watchConfigFile(file: string, onChange: () => void): () => void {
  let last = digest(file);
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = digest(file);
      if (now === undefined || now === last) return; // mid-replace, or nothing new
      last = now;
      onChange();
    }, DEBOUNCE_MS);
  };
  let folder: FSWatcher | undefined;
  try {
    folder = watch(dirname(file), (_event, name) => {
      // A ConfigMap swaps `..data`, not the file; anything but an unrelated name is worth a look.
      if (name === null || name === basename(file) || name.startsWith('..')) check();
    });
    folder.on('error', () => folder?.close());
  } catch {
    folder = undefined; // the poll below still works
  }
  watchFile(file, { interval: POLL_MS, persistent: false }, check);
  return () => {
    clearTimeout(timer);
    folder?.close();
    unwatchFile(file, check);
  };
}

function digest(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}
