import type { ConnectionConfig } from '../api/config.ts'
import { stallSeconds } from '../util/env.ts'
import type { ClientOptions } from './client.ts'
import { LeanTransport } from './lean-transport.ts'
import { SdkTransport } from './sdk-transport.ts'
import type { S3Transport } from '../api/transport.ts'

/** A job's two sides, each through the lean transport, with the SDK's transport of each beside it (the sdk engine, rescues). */
export interface JobTransports {
  source: S3Transport
  dest: S3Transport
  sdk: { source: SdkTransport; dest: SdkTransport }
  destroy(): void
}

/**
 * The transports of a job: always two, each with its own socket pools, even when both sides
 * share a connection. A traditional copy holds a source GET open while its PUT runs; with one
 * pool, GETs could take every socket and wait forever for PUTs that get none.
 */
export function transportsFor(source: ConnectionConfig, destination: ConnectionConfig, options: ClientOptions = {}): JobTransports {
  const sdk = { source: SdkTransport.open(source, options), dest: SdkTransport.open(destination, options) }
  const lean = (side: SdkTransport) =>
    new LeanTransport(side, { meters: options, maxSockets: options.maxSockets ?? 64, timeoutMs: stallSeconds('LAKESYNC_SOCKET_TIMEOUT_SECONDS') * 1000 })
  const both = { source: lean(sdk.source), dest: lean(sdk.dest) }
  return { ...both, sdk, destroy: () => (both.source.destroy(), both.dest.destroy()) }
}
