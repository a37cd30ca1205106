import { test } from 'node:test'
import assert from 'node:assert/strict'
import { awsS3Host, describeRoute, sameIdentity, sameService, serviceOf } from '../../src/config/service.ts'
import { inRegion } from '../../src/route/bucket-regions.ts'

test("S3's own host names are AWS, with their partition and region; look-alikes are not", () => {
  const cases: [string, ReturnType<typeof awsS3Host>][] = [
    ['s3.amazonaws.com', { partition: 'aws' }],
    ['s3.ap-northeast-1.amazonaws.com', { partition: 'aws', region: 'ap-northeast-1' }],
    ['s3-ap-northeast-1.amazonaws.com', { partition: 'aws', region: 'ap-northeast-1' }],
    ['lake-bucket.s3.us-east-1.amazonaws.com', { partition: 'aws', region: 'us-east-1' }],
    ['s3.dualstack.eu-west-1.amazonaws.com', { partition: 'aws', region: 'eu-west-1' }],
    ['s3-fips.us-east-2.amazonaws.com', { partition: 'aws', region: 'us-east-2' }],
    ['s3-fips.dualstack.us-gov-west-1.amazonaws.com', { partition: 'aws-us-gov', region: 'us-gov-west-1' }],
    ['s3-external-1.amazonaws.com', { partition: 'aws' }],
    ['s3.cn-north-1.amazonaws.com.cn', { partition: 'aws-cn', region: 'cn-north-1' }],
    ['S3.EU-CENTRAL-1.AMAZONAWS.COM', { partition: 'aws', region: 'eu-central-1' }],
    ['s3.amazonaws.com.attacker.example', undefined],
    ['mys3.amazonaws.com', undefined],
    ['s3.us-east-1.localhost', undefined],
    ['storage.googleapis.com', undefined],
  ]
  for (const [host, expected] of cases) assert.deepEqual(awsS3Host(host), expected, host)
})

test('connections are one service across regions and spellings; other servers are one service per endpoint unless they name one', () => {
  const archive = { endpoint: 'https://s3.ap-northeast-1.amazonaws.com', region: 'ap-northeast-1', anonymous: true }
  const lake = { region: 'us-east-1' }
  const env = {}
  assert.equal(sameService(archive, lake, env), true)
  assert.equal(sameService(lake, { region: 'cn-north-1' }, env), false, 'China is its own partition')
  assert.equal(sameService({ endpoint: 'http://127.0.0.1:7070' }, { endpoint: 'http://localhost:7070/' }, env), true)
  assert.equal(sameService({ endpoint: 'http://127.0.0.1:7070' }, { endpoint: 'http://127.0.0.1:7071' }, env), false)
  assert.equal(sameService({ endpoint: 'https://eu.cloud.example', service: 'cloud' }, { endpoint: 'https://us.cloud.example', service: 'cloud' }, env), true)
  assert.equal(sameService(lake, lake, { AWS_ENDPOINT_URL: 'http://127.0.0.1:7070' }), true)
  assert.equal(serviceOf(lake, { AWS_ENDPOINT_URL: 'http://127.0.0.1:7070' }).aws, false, "AWS_ENDPOINT_URL points a connection without an endpoint elsewhere, as in the SDK")
  assert.equal(sameIdentity(archive, lake, env), false)
  assert.equal(sameIdentity({ region: 'eu-west-1', profile: 'p' }, { region: 'us-east-1', profile: 'p' }, env), true, 'a principal is the same in every region')
  const job = (from: object, to: object) => ({ source: { connection: from }, destination: { connection: to } }) as any
  assert.equal(describeRoute(job(archive, lake), env), 'one S3 service (AWS, ap-northeast-1 -> us-east-1)')
  assert.equal(describeRoute(job(archive, { endpoint: 'http://127.0.0.1:7070' }), env), 'two S3 services (AWS; http://127.0.0.1:7070)')
})

test('a connection moved to its bucket\'s region keeps an AWS endpoint it names, in the new region', () => {
  assert.deepEqual(inRegion({ region: 'eu-west-1' }, 'us-east-1'), { region: 'us-east-1' })
  assert.deepEqual(inRegion({ endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1' }, 'ap-northeast-1'), { endpoint: 'https://s3.ap-northeast-1.amazonaws.com', region: 'ap-northeast-1' })
  assert.deepEqual(inRegion({ endpoint: 'https://s3.amazonaws.com' }, 'eu-west-1'), { endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1' })
  assert.deepEqual(inRegion({ endpoint: 'http://127.0.0.1:7070', region: 'x' }, 'us-east-1'), { endpoint: 'http://127.0.0.1:7070', region: 'us-east-1' })
})
