type FsPromises = typeof import('node:fs/promises');

/**
 * `node:fs/promises`, loaded at the first call of one of its functions rather than at start: requiring
 * it loads a dozen of Node's own modules (its file handles bring readline, the file watchers and directory
 * streams), some 4 million instructions that a run with nothing to do never needs (docs/decisions.md,
 * decision 48). The same functions, with the same types; modules asc loads at every start import them
 * from here.
 */
function lazy<K extends keyof FsPromises>(name: K): FsPromises[K] {
  return ((...args: unknown[]) =>
    (process.getBuiltinModule('node:fs/promises')[name] as (...a: unknown[]) => unknown)(
      ...args,
    )) as FsPromises[K];
}

export const access = lazy('access');
export const copyFile = lazy('copyFile');
export const cp = lazy('cp');
export const lstat = lazy('lstat');
export const mkdir = lazy('mkdir');
export const mkdtemp = lazy('mkdtemp');
export const readFile = lazy('readFile');
export const readlink = lazy('readlink');
export const realpath = lazy('realpath');
export const rename = lazy('rename');
export const rm = lazy('rm');
export const stat = lazy('stat');
export const symlink = lazy('symlink');
export const unlink = lazy('unlink');
export const writeFile = lazy('writeFile');
