import { $ } from 'zx/core'
import { shellQuote } from './shell-quote.ts'

/**
 * zx bound to /bin/sh with POSIX quoting: bastion hosts may run lakesync with a PATH that has no
 * bash (zx's default shell, looked up on PATH), and the binary must not depend on one.
 */
export const sh = $({ shell: '/bin/sh', prefix: '', postfix: '', quote: shellQuote })
