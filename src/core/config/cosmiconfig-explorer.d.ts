/**
 * cosmiconfig 9's Explorer class, which its `cosmiconfig()` factory wraps after reading a "meta config"
 * from the current folder (see findConfig). The package marks it @internal and ships no types for it:
 * these are the options and methods asc uses, as cosmiconfig 9's dist/Explorer.js and index.js have them.
 */
declare module 'cosmiconfig/dist/Explorer.js' {
  import type { CosmiconfigResult, Loaders, SearchStrategy, Transform } from 'cosmiconfig';

  export interface ExplorerOptions {
    moduleName: string;
    searchPlaces: string[];
    searchStrategy: SearchStrategy;
    stopDir?: string;
    ignoreEmptySearchPlaces: boolean;
    cache: boolean;
    transform: Transform;
    loaders: Loaders;
    metaConfigFilePath: string | null;
    mergeImportArrays: boolean;
    mergeSearchPlaces: boolean;
  }

  export class Explorer {
    constructor(options: ExplorerOptions);
    search(from?: string): Promise<CosmiconfigResult>;
    load(filepath: string): Promise<CosmiconfigResult>;
  }
}
