// --reload (development): watch the app's directory tree and call back when a source
// file changes. Directories are watched one by one (non-recursive fs.watch), skipping
// node_modules and dot-directories, so a project with a large node_modules stays cheap.

import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

const SOURCE = /\.(?:[cm]?[jt]s|json)$/;
const MAX_DIRECTORIES = 2000;

export function watchSources(root: string, onChange: (file: string) => void): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let changed = '';
  const visit = (dir: string): void => {
    if (watchers.length >= MAX_DIRECTORIES) return;
    try {
      watchers.push(watch(dir, (_event, name) => {
        if (!name || !SOURCE.test(name)) return;
        changed = join(dir, name);
        clearTimeout(timer);
        // Editors write in several steps: wait for them to settle.
        timer = setTimeout(() => onChange(changed), 150);
      }));
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) visit(join(dir, entry.name));
      }
    } catch { /* vanished or unreadable: nothing to watch */ }
  };
  visit(root);
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
