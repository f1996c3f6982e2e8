// Writes each message as a complete .eml file: exactly the bytes SMTP would carry.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { shownPath } from '../errors.js';
import { MimeWriter } from '../mime/mime.js';
import { fileSafeAddress, writeNoFollow, type Transport } from './transport.js';

export function emlTransport(dir: string): Transport {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  const mime = new MimeWriter();
  return {
    description: dir,
    mode: 'eml',
    needs: { journal: false, retries: false, progress: false },
    connections: 1,
    done: (what) => `Wrote ${what} as .eml files to ${shownPath(dir)}.`,
    async send(message) {
      count += 1;
      const safe = fileSafeAddress(message.to.email);
      // Only characters every file system takes: reminder:week-before → reminder-week-before.
      const kind = message.kind.replace(/[^A-Za-z0-9.-]+/g, '-');
      const file = path.join(dir, `${String(count).padStart(3, '0')}-${kind}-${safe}.eml`);
      const raw = await mime.build(message);
      writeNoFollow(file, raw);
      mime.recycle(raw);
      return { response: `written ${file}` };
    },
    async close() {},
    async abort() {},
  };
}
