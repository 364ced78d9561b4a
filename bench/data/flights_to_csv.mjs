// flights_to_csv.mjs PARQUET OUT.csv — converts vega-datasets' flights-3m.parquet
// (date TIMESTAMP micros, delay, distance, origin, destination; zstd) into a numeric CSV
// for bench/bench_trees.py, with hyparquet + hyparquet-compressors (run by get_flights.sh,
// which puts them on NODE_PATH's side: this file is copied next to their node_modules).
//
// Columns written: month (1-12), day (1-31), weekday (0 = Monday .. 6), dep_minute (minutes
// after midnight), distance (miles), origin, destination (airport codes as integers: the
// index of the code in the sorted union of both columns, so equal airports get equal codes),
// delay (minutes; bench_trees.py derives its target from it). The timestamps carry local
// time marked as not UTC-adjusted, so their UTC fields are the local clock.
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const [src, dst] = process.argv.slice(2)
const file = await asyncBufferFromFile(src)
const md = await parquetMetadataAsync(file)
const n = Number(md.num_rows)
const cols = {
  month: new Int8Array(n), day: new Int8Array(n), weekday: new Int8Array(n),
  minute: new Int16Array(n), distance: new Int32Array(n), delay: new Int32Array(n),
  origin: new Int32Array(n), destination: new Int32Array(n),
}
const ids = new Map() // airport code -> provisional id (first seen)
const idOf = (s) => {
  let v = ids.get(s)
  if (v === undefined) ids.set(s, (v = ids.size))
  return v
}
let at = 0
for (const rg of md.row_groups) {
  const rowEnd = at + Number(rg.num_rows)
  const rows = await parquetReadObjects({ file, compressors, rowStart: at, rowEnd })
  for (const r of rows) {
    const d = r.date
    cols.month[at] = d.getUTCMonth() + 1
    cols.day[at] = d.getUTCDate()
    cols.weekday[at] = (d.getUTCDay() + 6) % 7
    cols.minute[at] = d.getUTCHours() * 60 + d.getUTCMinutes()
    cols.distance[at] = Number(r.distance)
    cols.delay[at] = Number(r.delay)
    cols.origin[at] = idOf(r.origin)
    cols.destination[at] = idOf(r.destination)
    at++
  }
}
if (at !== n) throw new Error(`read ${at} rows of ${n}`)
// provisional ids -> rank of the code in sorted order
const sorted = [...ids.keys()].sort()
const rank = new Int32Array(ids.size)
sorted.forEach((code, i) => { rank[ids.get(code)] = i })

const out = createWriteStream(dst)
out.write('month,day,weekday,dep_minute,distance,origin,destination,delay\n')
const B = 65536
for (let i0 = 0; i0 < n; i0 += B) {
  const lines = []
  for (let i = i0; i < Math.min(n, i0 + B); i++) {
    lines.push(`${cols.month[i]},${cols.day[i]},${cols.weekday[i]},${cols.minute[i]},` +
      `${cols.distance[i]},${rank[cols.origin[i]]},${rank[cols.destination[i]]},${cols.delay[i]}\n`)
  }
  if (!out.write(lines.join(''))) await once(out, 'drain')
}
out.end()
await once(out, 'finish')
console.error(`flights_to_csv: ${n} rows, ${sorted.length} airports -> ${dst}`)
