import { createHash, createHmac } from 'node:crypto'

/** The hash the SDK's SignatureV4 takes (its own packages are not dependencies here), on node:crypto. */
export class Sha256 {
  private h
  constructor(secret?: any) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret))
  }
  update(d: any) {
    this.h.update(d)
  }
  async digest() {
    return new Uint8Array(this.h.digest())
  }
  reset() {}
}
