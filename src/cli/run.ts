// Entry of the CLI from source and from the bundle: `tsx src/cli/run.ts`, bin/lakesync.mjs.
import { main } from './main.ts'

await main()
