// One of two processes racing for job locks, for test/unit/job-lock.test.ts: for each trial
// folder the test opens (a `go` file appears), takes the job's lock if it can, says whether it
// did (`won.<pid>` or `lost.<pid>`), and holds a won lock until the test writes `done`.
import { access, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { lockJobs } from '../../src/state/job-lock.ts'
import type { ResolvedJob } from '../../src/api/config.ts'

const [root, trials] = [process.argv[2]!, Number(process.argv[3])]
const job = { name: 'daily', source: { bucket: 'src', prefix: 'data/' }, destination: { bucket: 'lake', prefix: 'mirror/' } } as unknown as ResolvedJob
const exists = (f: string) => access(f).then(() => true, () => false)
const until = async (f: string) => {
  while (!(await exists(f))) await new Promise((r) => setTimeout(r, 2))
}

for (let t = 0; t < trials; t++) {
  const dir = path.join(root, String(t))
  await until(path.join(dir, 'go'))
  const locks = await lockJobs([job], { dir, warn: () => {} }).catch(() => undefined)
  await writeFile(path.join(dir, `${locks ? 'won' : 'lost'}.${process.pid}`), '')
  await until(path.join(dir, 'done'))
  await locks?.release()
}
