export interface SeaAssets {
  getAsset(key: string, encoding?: string): ArrayBuffer | string
}

interface Sea extends SeaAssets {
  isSea(): boolean
}

/**
 * The single binary's assets, or undefined when lakesync runs from a checkout, the npm package or
 * Deno. node:sea exists in the binary's Node; under Deno or an older Node it may not, hence
 * getBuiltinModule instead of an import.
 */
export function singleBinaryAssets(): SeaAssets | undefined {
  try {
    const sea = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:sea') as Sea | undefined
    return sea?.isSea() ? sea : undefined
  } catch {
    return undefined
  }
}
