#!/usr/bin/env python3
"""Seeds a Binance-layout archive straight into a versitygw posix folder: a file per object with
the ETag versitygw would have stored (user.etag, the MD5), so a million keys take a minute
instead of a million PutObjects. Optionally mirrors all but the newest day into a destination
bucket folder as hard links (same bytes, ETag and mtime, no extra disk); DST_BUCKET "-" mirrors nothing.

usage: seed-posix.py ROOT SRC_BUCKET DST_BUCKET DST_PREFIX SYMBOLS INTERVALS DAYS START
prints the newest day's keys, one per line."""
import datetime, hashlib, os, sys

root, src, dst, dst_prefix, symbols, intervals, days, start = sys.argv[1:9]
symbols = [f'SYM{i:03d}USDT' for i in range(int(symbols))]
intervals = intervals.split(',')
days = int(days)
first = datetime.date.fromisoformat(start)
newest = first + datetime.timedelta(days=days - 1)

def put(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(body)
    os.setxattr(path, 'user.etag', ('"%s"' % hashlib.md5(body).hexdigest()).encode())
    os.setxattr(path, 'user.content-type', b'application/zip' if path.endswith('.zip') else b'text/plain')

def link(key):
    target = os.path.join(root, dst, dst_prefix + key)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if not os.path.exists(target):
        os.link(os.path.join(root, src, key), target)

for symbol in symbols:
    for interval in intervals:
        folder = f'data/spot/daily/klines/{symbol}/{interval}/'
        for d in range(days):
            date = first + datetime.timedelta(days=d)
            name = f'{symbol}-{interval}-{date.isoformat()}.zip'
            seed = hashlib.sha256((folder + name).encode()).digest()
            body = b'PK\x03\x04' + (seed * 20)[: 200 + seed[0] * 2]
            sidecar = f'{hashlib.sha256(body).hexdigest()}  {name}\n'.encode()
            for key, data in ((folder + name, body), (folder + name + '.CHECKSUM', sidecar)):
                put(os.path.join(root, src, key), data)
                if date < newest and dst != '-':
                    link(key)
                else:
                    print(key)
