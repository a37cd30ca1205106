import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startVersitygw, type LocalServer } from '../../src/bench/local-server.ts'
import { CLI, ROOT, TOOLS_BIN } from '../helpers/paths.ts'
import { logOutput, suiteStateDir } from '../helpers/cli.ts'

const SEED = path.join(ROOT, 'scripts/lib/seed-posix.py')
// scripts/setup.sh installs tmux: without it this suite fails, rather than pass with the terminal untested.
assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is not installed (scripts/setup.sh installs it as root: apt-get install tmux)')

/** One screen of the terminal, and when it was read (ms since the run started). */
interface Frame {
  at: number
  text: string
}

// The task tree as a person sees it: the CLI in a real terminal (tmux), its screen read every 100 ms.
describe('the task tree in a terminal', () => {
  let server: LocalServer
  let work: string
  const socket = `lakesync-test-${process.pid}`
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } })

  before(async () => {
    server = await startVersitygw()
    await server.createBuckets('archive', 'lake')
    // 50 symbols × 200 days, a zip and its sidecar each: 20,000 objects written straight into the server's folder.
    const seeded = spawnSync('python3', [SEED, server.dir, 'archive', 'lake', 'seeded/', '50', '1d', '200', '2024-01-01'], { encoding: 'utf8', maxBuffer: 1 << 26 })
    assert.equal(seeded.status, 0, seeded.stderr)
    work = await mkdtemp(path.join(tmpdir(), 'lakesync-tty-'))
  })
  after(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server'])
    await server?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  /** Runs `lakesync sync` with these flags in a tmux terminal, reading its screen every 100 ms until it exits. */
  const inTerminal = async (name: string, flags: string): Promise<Frame[]> => {
    const state = await suiteStateDir(`tty-${name}`)
    // The secret goes through a file only this test reads, not through tmux's command line.
    const script = path.join(work, `${name}.sh`)
    await writeFile(script, [
      'unset CI',
      `export AWS_ACCESS_KEY_ID='${server.credentials.accessKeyId}' AWS_SECRET_ACCESS_KEY='${server.credentials.secretAccessKey}' AWS_REGION=us-east-1`,
      `export LAKESYNC_STATE_DIR='${state}' AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true PATH='${TOOLS_BIN}':"$PATH"`,
      `'${process.execPath}' --import tsx '${CLI}' sync --from s3://archive/data/ --to s3://lake/${name}/ --endpoint ${server.endpoint} ${flags}`,
      'echo "exit code $?"',
      'sleep 600',
    ].join('\n'), { mode: 0o600 })
    const started = performance.now()
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '60', '-c', ROOT, `bash ${script}`)
    const frames: Frame[] = []
    while (performance.now() - started < 180_000) {
      const text = tmux('capture-pane', '-p', '-t', name)
      frames.push({ at: performance.now() - started, text })
      if (/exit code \d+/.test(text)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    // What the terminal showed goes to the suite's secret sweep like every other output.
    logOutput(`lakesync sync ${flags} (in a tmux terminal)`, frames.map((f) => f.text).join('\n'), '')
    return frames
  }

  test('a 20,000-object copy shows copied counts and a rate within its first 2 seconds of copying', async (t) => {
    const frames = await inTerminal('lean', '')
    const last = frames.at(-1)!.text
    assert.match(last, /exit code 0/, last)
    assert.match(last, /copied 20,000 /, last)

    // Copying starts with the decision line, then the copy task's title carries the progress.
    const copying = frames.find((f) => /\[direct, lean\]/.test(f.text))
    assert.ok(copying, `the tree shows the job's mode and engine:\n${frames.at(-1)!.text}`)
    const moving = frames.find((f) => /copy: copied [1-9][\d,]* of [\d,]+.* · [1-9][\d,]* objects\/s/.test(f.text))
    assert.ok(moving, `a frame with copied counts and a rate:\n${frames.map((f) => f.text).join('\n---\n').slice(-4000)}`)
    assert.ok(moving.at - copying.at <= 2000, `copied counts and a rate ${Math.round(moving.at - copying.at)} ms after copying began:\n${moving.text}`)
    assert.ok(!/exit code/.test(moving.text), 'shown while the copy runs, not only at its end')
    t.diagnostic(`copied counts and a rate ${Math.round(moving.at - copying.at)} ms after the decision line; the run took ${Math.round(frames.at(-1)!.at / 1000)} s`)
    // Later frames, once the listing is done, carry the total and an ETA.
    assert.ok(frames.some((f) => /copy: copied [\d,]+ of 20,000 .*ETA \d+/.test(f.text)), 'the total and an ETA once the listing is done')
  })
  test('with the s5cmd engine each batch is a subtask of the copy: shown while it runs, then its objects, bytes and rate', async () => {
    const frames = await inTerminal('s5cmd', '--engine s5cmd --batch-size 2500')
    const last = frames.at(-1)!.text
    assert.match(last, /exit code 0/, last)
    assert.match(last, /copied 20,000 /, last)
    const lines = last.split('\n')
    const indent = (line: string) => line.search(/\S/)
    const copy = lines.find((l) => /copy: /.test(l))
    assert.ok(copy, last)
    assert.match(copy!, /copy: 20,000 copied, 0 failed/, 'the copy task ends with the final counts')
    // A task has its own mark (✔ when done); lines of a task's output have none.
    const batches = lines.filter((l) => /✔ batch \d+: /.test(l))
    assert.deepEqual(batches.map((l) => Number(/batch (\d+)/.exec(l)![1])), [1, 2, 3, 4, 5, 6, 7, 8], `8 batches of 2,500, each a task of its own:\n${last}`)
    for (const b of batches) {
      assert.match(b, /copied 2,500 \([\d.]+ [KM]B\) in \d+\.\d\d? s, [\d,]+ objects\/s/, b)
      assert.ok(indent(b) > indent(copy!), `a subtask of the copy task, drawn under it:\n${last}`)
    }
    assert.equal(new Set(batches.map(indent)).size, 1, `the batches side by side, not nested:\n${last}`)
    assert.ok(frames.some((f) => /batch \d+: copying via s5cmd/.test(f.text) && !/exit code/.test(f.text)), 'a batch is shown while it runs')
  })
})
