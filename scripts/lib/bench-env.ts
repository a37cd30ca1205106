import path from 'node:path'
import type { LocalServer } from '../../src/bench/local-server.ts'
import { TOOLS_BIN } from '../../test/helpers/paths.ts'

/**
 * The environment every tool of a local benchmark runs in: the server's credentials, the
 * checkout's s5cmd, lakesync's state in `stateDir`, and no CA bundle (versitygw is plain HTTP
 * on loopback, and some tools choke on a bundle meant for TLS).
 */
export function benchEnv(server: LocalServer, stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LAKESYNC_S5CMD: path.join(TOOLS_BIN, 's5cmd'),
    LAKESYNC_STATE_DIR: stateDir,
    ...extra,
  }
  delete env.AWS_CA_BUNDLE
  return env
}
