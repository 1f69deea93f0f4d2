// Next's standalone output leaves static assets out; copy them in so
// `node .next/standalone/server.js` serves the full app (as the container image does).
import fs from 'node:fs';
const copy = (from, to) => fs.existsSync(from) && fs.cpSync(from, to, { recursive: true });
copy('.next/static', '.next/standalone/.next/static');
copy('public', '.next/standalone/public');
