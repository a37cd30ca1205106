// Entry of the single executable's bundle (run by src/cli/binary-loader.ts): the same CLI,
// started without top-level await (the bundle is CommonJS).
import { main } from './main.ts'

void main()
