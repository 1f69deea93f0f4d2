// Writes schemas/run-report.schema.json from lib/report/json-schema.ts (the published contract of --format json).
import fs from 'node:fs';
import path from 'node:path';
import { publishedJsonSchema } from '../lib/report/json-schema';

const file = path.join(__dirname, '..', 'schemas', 'run-report.schema.json');
fs.writeFileSync(file, publishedJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
