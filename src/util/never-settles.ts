/**
 * `p`, or a rejection with `error()` once the event loop has nothing left to run while `p` is
 * still pending: a promise nothing can ever settle (a config function that never resolves).
 * Without it the process would end quietly, with exit code 0 in the single binary.
 */
export function orNeverSettles<T>(p: Promise<T>, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stuck = () => reject(error())
    process.once('beforeExit', stuck)
    p.then(
      (value) => (process.off('beforeExit', stuck), resolve(value)),
      (cause) => (process.off('beforeExit', stuck), reject(cause)),
    )
  })
}
