// The baseline of the file benchmarks: the same file streamed through the same CSV parser
// (dist/core/csv.js) the same way ingest reads it (1 MiB reads, StringDecoder), and nothing else.
// Prints the number of records.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type * as Csv from '../../src/core/csv.js';
import { fromDist } from '../lib/dist.js';

const { CsvParser } = await fromDist<typeof Csv>('core/csv.js');
const file = process.argv[2];
if (!file) throw new Error('usage: bareParse <file.csv>');
const parser = new CsvParser(',');
const decoder = new StringDecoder('utf8');
const out: Csv.CsvRecord[] = [];
let records = 0;
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
  parser.push(decoder.write(chunk as Buffer), out);
  records += out.length;
  out.length = 0;
}
parser.push(decoder.end(), out);
parser.end(out);
records += out.length;
console.log(JSON.stringify({ rows: records - 1 }));
