// The yardstick for sending (issue 12): nodemailer itself, pooled, sending the very bytes invite
// wrote with --out (one .eml file per message) to the same server with the same number of
// connections. No templates, no calendar, no journal: what the transport alone can do.
// Usage: node bench/peer-nodemailer.mjs DIR SMTP_URL CONNECTIONS
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

const [dir, url, connections = '2'] = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort();
const transport = nodemailer.createTransport({ url, pool: true, maxConnections: Number(connections), maxMessages: Infinity });
let next = 0;
const worker = async () => {
  while (next < files.length) {
    const file = files[next++];
    // invite names them NNN-kind-address.eml
    const to = file.replace(/^\d+-[^-]+-/, '').replace(/\.eml$/, '');
    await transport.sendMail({ envelope: { from: 'biser@example.org', to: [to] }, raw: readFileSync(path.join(dir, file)) });
  }
};
await Promise.all(Array.from({ length: Number(connections) }, worker));
transport.close();
console.error(`sent ${files.length}`);
