// esbuild plugin for both bundles. string-width (yargs' help columns, through cliui and
// wrap-ansi with copies of their own, and listr2's truncation) builds Unicode-property regexes
// and an Intl.Segmenter as it loads: ~40 ms of every start, though nearly all text lakesync
// measures is printable ASCII. Those importers get a front that measures printable ASCII by
// its length and loads string-width for any other text.
const NAMESPACE = 'lazy-string-width'
const IMPORTERS = /[\\/]node_modules[\\/](yargs|cliui|wrap-ansi|cli-truncate)[\\/]/

const FRONT = `
let real
export default function stringWidth(text, options) {
  if (typeof text === 'string' && /^[\\x20-\\x7e]*$/.test(text)) return text.length
  real ??= require('string-width').default
  return real(text, options)
}
`

export const lazyStringWidth = {
  name: NAMESPACE,
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, (args) =>
      IMPORTERS.test(args.importer) ? { path: 'string-width', namespace: NAMESPACE, pluginData: args.resolveDir } : undefined)
    // The front's own require resolves from the importer's folder to the real package.
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: FRONT, loader: 'js', resolveDir: args.pluginData }))
  },
}
