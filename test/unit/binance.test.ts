import { test } from 'node:test'
import assert from 'node:assert/strict'
import { binance, validateSelector } from '../../src/sources/binance.ts'
import { dateLabels, parseDate } from '../../src/sources/dates.ts'
import { parseSidecar } from '../../src/verify/checksum.ts'

test('sidecars parse by their first token, with or without a newline', () => {
  const hex = 'a'.repeat(64)
  assert.equal(parseSidecar(`${hex}  BTCUSDT-1h-2026-05-08.zip`), hex)
  assert.equal(parseSidecar(`${hex.toUpperCase()}  X.zip\n`), hex)
  assert.equal(parseSidecar('not a digest  X.zip'), undefined)
})

test('dates: ISO, relative and month ranges', () => {
  const now = new Date('2024-03-10T12:00:00Z')
  assert.equal((parseDate('yesterday', now) as Date).toISOString().slice(0, 10), '2024-03-09')
  assert.equal((parseDate('-30d', now) as Date).toISOString().slice(0, 10), '2024-02-09')
  assert.match(parseDate('2024-02-30') as string, /expected an ISO date/)
  assert.deepEqual(dateLabels(new Date('2023-11-15'), new Date('2024-02-01'), 'monthly'), ['2023-11', '2023-12', '2024-01', '2024-02'])
  assert.equal(dateLabels(new Date('2024-02-27'), new Date('2024-03-01'), 'daily').length, 4, 'leap day included')
})

test('selectors follow the archive layout', () => {
  const ok = binance.archive({ market: 'futures/cm', frequency: 'daily', dataType: 'liquidationSnapshot', symbols: ['BTCUSD_PERP'] })
  assert.deepEqual(validateSelector(ok as any), [])
  assert.deepEqual(validateSelector({ kind: 'binance', market: 'spot', frequency: 'monthly', dataType: 'klines', symbols: '*', intervals: ['1mo', '1s'] }), [])
  assert.match(validateSelector({ kind: 'binance', market: 'futures/um', frequency: 'monthly', dataType: 'bookDepth', symbols: ['X'] })[0]!, /bookDepth on futures\/um is daily only/)
  assert.match(validateSelector({ kind: 'binance', market: 'margin', frequency: 'daily', dataType: 'klines', symbols: ['X'] })[0]!, /market: expected one of/)
  assert.match(validateSelector({ kind: 'binance', market: 'spot', frequency: 'daily', dataType: 'klines', symbols: ['X'] })[0]!, /intervals: klines are stored per interval/)
})

test('Hive-style key mapping', () => {
  const map = binance.hiveKeys()
  assert.equal(map('data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2026-04.zip'), 'market=futures-um/type=fundingRate/symbol=BTCUSDT/date=2026-04/BTCUSDT-fundingRate-2026-04.zip')
})
