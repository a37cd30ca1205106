// Entry of the single executable: the same CLI, started without top-level await (the binary's
// main script is CommonJS).
import { main } from './main.ts'

void main()
