// The deployment files under deploy/ are kept working: each is parsed, the fields lakesync
// relies on are checked, and the command each one starts is run by the real CLI (as a dry run,
// with the scheduler's variables set) against a real S3 server.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli } from '../helpers/cli.ts'
import { ROOT } from '../helpers/paths.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { runRegistry } from '../../src/report/metrics.ts'

const DEPLOY = path.join(ROOT, 'deploy')
const CONFIG_IN_IMAGE = '/etc/lakesync/lakesync.config.ts'
const read = (file: string) => readFile(path.join(DEPLOY, file), 'utf8')
const yamlDocs = async (file: string) => parseAllDocuments(await read(file)).map((d) => {
  assert.deepEqual(d.errors, [], `${file} parses`)
  return d.toJS() as any
})

/** `[Section]` → key → values (a key may repeat), as systemd reads a unit file. */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) sections.set(header[1]!, (current = new Map()))
    else {
      const eq = line.indexOf('=')
      assert.ok(current && eq > 0, `a key=value line inside a section: ${line}`)
      const key = line.slice(0, eq).trim()
      current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()])
    }
  }
  return sections
}

/** No secret value anywhere: credentials come from IRSA, a job role, the instance role or a profile. */
function assertNoInlineSecrets(file: string, text: string) {
  assert.doesNotMatch(text, /AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws_secret_access_key|secretAccessKey|AKIA[0-9A-Z]{16}/, `${file} holds no credential`)
}

describe('deployment files', { concurrency: false }, () => {
  let server: S3TestServer
  let dir: string
  let config: string

  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['archive', 'lake'] })
    const client = server.client()
    await putAll(client, 'archive', generatedKlines({ symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], intervals: ['1h', '1d'], days: 6 }))
    client.destroy()
    dir = await mkdtemp(path.join(tmpdir(), 'lakesync-deploy-'))
    config = path.join(dir, 'lakesync.config.ts')
    await writeFile(config, `import { defineConfig } from 'lakesync'
export default defineConfig({
  connections: { local: { endpoint: process.env.E } },
  jobs: { mirror: { source: 's3://archive/data/', destination: 's3://lake/mirror/', connection: 'local' } },
})
`)
  })
  after(async () => {
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** The file's lakesync arguments, run as a dry run against the test server with the scheduler's variables. */
  async function dryRun(args: string[], schedulerEnv: Record<string, string>) {
    assert.equal(args[0], 'sync', 'the deployment runs sync')
    const i = args.indexOf('--config')
    assert.equal(args[i + 1], CONFIG_IN_IMAGE, 'the config the image carries')
    const local = [...args.slice(0, i + 1), config, ...args.slice(i + 2), '--dry-run']
    const r = await runCli(local, { env: { ...server.env, E: server.endpoint, ...schedulerEnv } })
    assert.equal(r.code, 0, `lakesync ${local.join(' ')}\n${r.stdout}${r.stderr}`)
    return r
  }

  test('every file is checked here: none is added without a test', async () => {
    const files = (await readdir(DEPLOY, { recursive: true, withFileTypes: true })).filter((f) => f.isFile()).map((f) => path.relative(DEPLOY, path.join(f.parentPath, f.name))).sort()
    assert.deepEqual(files, ['aws-batch/job-definition.json', 'aws-batch/submit-job.json', 'container/Dockerfile', 'kubernetes/cronjob.yaml', 'kubernetes/indexed-job.yaml', 'prometheus/lakesync-alerts.yml', 'systemd/lakesync.service', 'systemd/lakesync.timer'])
    for (const f of files) assertNoInlineSecrets(f, await read(f))
  })

  for (const file of ['kubernetes/indexed-job.yaml', 'kubernetes/cronjob.yaml']) {
    test(`${file}: an Indexed Job whose completions equal the shard count, credentials from IRSA, and a command that runs`, async () => {
      const docs = await yamlDocs(file)
      const workload = docs.find((d) => d.kind === 'Job' || d.kind === 'CronJob')
      const job = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec : workload.spec
      if (workload.kind === 'CronJob') {
        assert.equal(workload.spec.concurrencyPolicy, 'Forbid', 'a run outlasting its interval is not joined by another')
        assert.match(workload.spec.schedule, /^\S+ \S+ \S+ \S+ \S+$/)
      }
      assert.equal(job.completionMode, 'Indexed', 'each pod gets JOB_COMPLETION_INDEX')
      const [container] = job.template.spec.containers
      const env = new Map<string, any>(container.env.map((e: any) => [e.name, e]))
      const count = Number(env.get('LAKESYNC_SHARD_COUNT')?.value)
      assert.equal(job.completions, count, 'completions = the shard count every worker divides by')
      assert.equal(job.parallelism, count)
      assert.deepEqual(env.get('LAKESYNC_RUN_ID')?.valueFrom, { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } }, 'the shards of one Job share a run id')
      for (const e of env.values()) assert.ok(!/SECRET|TOKEN|PASSWORD|KEY_ID/.test(e.name) || e.valueFrom?.secretKeyRef, `${e.name} is not inline`)
      const account = job.template.spec.serviceAccountName
      const sa = (await yamlDocs('kubernetes/indexed-job.yaml')).find((d) => d.kind === 'ServiceAccount' && d.metadata.name === account)
      assert.match(sa.metadata.annotations['eks.amazonaws.com/role-arn'], /^arn:aws:iam::\d{12}:role\//, 'the pods get credentials from IRSA')
      assert.ok(container.args.includes('--shard') && container.args[container.args.indexOf('--shard') + 1] === 'auto')
      const last = await dryRun(container.args, { JOB_COMPLETION_INDEX: String(count - 1), LAKESYNC_SHARD_COUNT: String(count), LAKESYNC_RUN_ID: 'lakesync-daily-29400' })
      assert.match(last.stdout, new RegExp(`"shard":\\{"index":${count - 1},"count":${count},"runId":"lakesync-daily-29400"\\}`))
    })
  }

  test('aws-batch: an array job whose size equals the shard count, credentials from the job role, and a command that runs', async () => {
    const definition = JSON.parse(await read('aws-batch/job-definition.json'))
    const submit = JSON.parse(await read('aws-batch/submit-job.json'))
    const c = definition.containerProperties
    const env = new Map<string, string>(c.environment.map((e: any) => [e.name, e.value]))
    assert.equal(submit.jobDefinition, definition.jobDefinitionName)
    assert.equal(submit.arrayProperties.size, Number(env.get('LAKESYNC_SHARD_COUNT')), 'the array size = the shard count (Batch does not tell the children the size)')
    assert.match(c.jobRoleArn, /^arn:aws:iam::\d{12}:role\//, 'credentials from the job role')
    assert.equal(c.secrets, undefined)
    const r = await dryRun(c.command, { AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ID: '4c1e7d2a-5b8f:3', LAKESYNC_SHARD_COUNT: env.get('LAKESYNC_SHARD_COUNT')! })
    assert.match(r.stdout, /"shard":\{"index":3,"count":8,"runId":"4c1e7d2a-5b8f"\}/)
  })

  test('systemd: a oneshot service on a daily timer, its command runs, a held lock (exit 5) is no failure', async () => {
    const service = unitFile(await read('systemd/lakesync.service'))
    const timer = unitFile(await read('systemd/lakesync.timer'))
    assert.deepEqual(service.get('Service')!.get('Type'), ['oneshot'])
    assert.deepEqual(service.get('Service')!.get('SuccessExitStatus'), ['5'])
    assert.match(timer.get('Timer')!.get('OnCalendar')![0]!, /^\*-\*-\* \d\d:\d\d:\d\d/)
    assert.deepEqual(timer.get('Timer')!.get('Persistent'), ['true'])
    const [exec] = service.get('Service')!.get('ExecStart')!
    const [binary, ...args] = exec!.split(/\s+/)
    assert.equal(binary, '/usr/local/bin/lakesync')
    assert.ok(args.includes('--metrics-file'), 'it leaves metrics for node_exporter')
    await dryRun(args, {})
  })

  test('container: the release binary as the entrypoint, the config inside, no credentials', async () => {
    const lines = (await read('container/Dockerfile')).split('\n').filter((l) => l && !l.startsWith('#'))
    const copies = lines.filter((l) => l.startsWith('COPY '))
    assert.ok(copies.includes('COPY dist/release/lakesync-linux-${ARCH} /usr/local/bin/lakesync'), 'the binary scripts/release builds')
    assert.ok(copies.some((l) => l.endsWith(` ${CONFIG_IN_IMAGE}`)), 'the config the deployment files name')
    assert.ok(lines.includes('ENTRYPOINT ["/usr/local/bin/lakesync"]'))
    assert.ok(lines.some((l) => /^USER \d+/.test(l)), 'not root')
    assert.ok(lines.some((l) => l.includes('ca-certificates')), 's5cmd needs CA certificates for HTTPS')
  })

  test('prometheus: the alert rules parse and use the metric names lakesync writes', async () => {
    const [rules] = await yamlDocs('prometheus/lakesync-alerts.yml')
    const exprs: string[] = rules.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr))
    const written = (await runRegistry({ summaries: [], exitCode: 0, finishedAt: new Date(), lastSuccess: {} }).getMetricsAsJSON()).map((m) => m.name)
    const used = exprs.flatMap((e) => e.match(/lakesync_[a-z_]+/g) ?? [])
    assert.ok(used.length >= 3)
    for (const name of used) assert.ok(written.includes(name), `${name} is a metric lakesync writes (${written.join(', ')})`)
  })
})
