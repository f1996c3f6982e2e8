// The addresses a check has met, to find the same address twice: compactly, because a list of a
// million rows has a million of them. As a Map of strings they took about 100 bytes each (the
// largest thing a million-row check kept); here about 40: the UTF-8 bytes in a ByteLog, and an
// open-addressing table of row numbers keyed by a hash of the text.
import { ByteLog } from './byte-log.js';

/** Lower-cased addresses with the line each was first met on. */
export class AddressIndex {
  private readonly bytes = new ByteLog();
  /** Per address (in the order met): where its bytes end in `bytes`, and its line. */
  private ends: Uint32Array = new Uint32Array(1024);
  private lines: Uint32Array = new Uint32Array(1024);
  private count = 0;
  /** Open addressing: address number + 1, or 0 for an empty slot; always at most half full. */
  private slots = new Uint32Array(2048);
  private readonly scratch = Buffer.allocUnsafe(1024);

  /** The line `address` was first met on; undefined when it is new (it is recorded, with `line`). */
  firstLine(address: string, line: number): number | undefined {
    const length = this.scratch.write(address, 0, 'utf8');
    // An address no longer than the scratch buffer (RFC 5321: 254 octets); a longer one is still compared whole.
    const key = length < this.scratch.length ? this.scratch.subarray(0, length) : Buffer.from(address, 'utf8');
    const mask = this.slots.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        this.add(key, line, slot);
        return undefined;
      }
      if (this.equals(entry - 1, key)) return this.lines[entry - 1];
    }
  }

  private equals(n: number, key: Buffer): boolean {
    return this.bytes.equals(n === 0 ? 0 : this.ends[n - 1]!, this.ends[n]!, key);
  }

  private add(key: Buffer, line: number, slot: number): void {
    if (this.count === this.ends.length) {
      this.ends = grownArray(this.ends);
      this.lines = grownArray(this.lines);
    }
    this.ends[this.count] = this.bytes.append(key);
    this.lines[this.count] = line;
    this.slots[slot] = ++this.count;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  /** Twice the slots, every address placed again. */
  private rehash(): void {
    this.slots = new Uint32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let n = 0; n < this.count; n++) {
      const start = n === 0 ? 0 : this.ends[n - 1]!;
      const key = this.bytes.bytes(start, this.ends[n]!);
      let slot = hash(key) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = n + 1;
    }
  }
}

/** FNV-1a over the bytes, 32 bits. */
function hash(bytes: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function grownArray(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
