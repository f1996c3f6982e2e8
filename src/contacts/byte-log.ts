// Bytes appended one after another and read back by their offsets: the addresses and names a
// check keeps for every row. In blocks of 64 kB, never in one buffer doubled as it fills: each
// doubling left the outgrown buffer for a full collection to free, and a run may have none.
// Those outgrown buffers were about 16 MB of a 100,000-row list's peak memory (bench/README.md).

const BLOCK = 1 << 16;

export class ByteLog {
  private readonly blocks: Buffer[] = [];
  private end = 0;
  private readonly scratch = Buffer.allocUnsafe(4 * 1024);

  /** Bytes written so far: the offset the next byte gets. */
  get length(): number {
    return this.end;
  }

  /** Appends a string's UTF-8; returns where it ends. */
  appendText(text: string): number {
    const at = this.end & (BLOCK - 1);
    const block = this.blocks.at(-1);
    // Most texts fit in the block being filled, and are written straight into it.
    if (block && at !== 0 && at + 3 * text.length <= BLOCK) {
      this.end += block.write(text, at, 'utf8');
      return this.end;
    }
    const bytes = 3 * text.length <= this.scratch.length ? this.scratch.subarray(0, this.scratch.write(text, 0, 'utf8')) : Buffer.from(text, 'utf8');
    return this.append(bytes);
  }

  /** Appends bytes (copied); returns where they end. */
  append(bytes: Buffer): number {
    let from = 0;
    while (from < bytes.length) {
      const at = this.end & (BLOCK - 1);
      if (at === 0 && this.blocks.length * BLOCK === this.end) this.blocks.push(Buffer.allocUnsafe(BLOCK));
      const copied = bytes.copy(this.blocks.at(-1)!, at, from, Math.min(bytes.length, from + BLOCK - at));
      from += copied;
      this.end += copied;
    }
    return this.end;
  }

  /** The bytes between two offsets: a view when they lie in one block (nearly always), else a copy. */
  bytes(start: number, end: number): Buffer {
    if (start === end) return Buffer.alloc(0);
    const block = blockHolding(start, end);
    if (block >= 0) return this.blocks[block]!.subarray(start - block * BLOCK, end - block * BLOCK);
    const out = Buffer.allocUnsafe(end - start);
    for (let at = start; at < end;) {
      const b = Math.floor(at / BLOCK);
      const upto = Math.min(end, (b + 1) * BLOCK);
      this.blocks[b]!.copy(out, at - start, at - b * BLOCK, upto - b * BLOCK);
      at = upto;
    }
    return out;
  }

  /** Whether the bytes between two offsets are `key`'s. */
  equals(start: number, end: number, key: Buffer): boolean {
    if (end - start !== key.length) return false;
    if (start === end) return true;
    const block = blockHolding(start, end);
    if (block < 0) return this.bytes(start, end).equals(key);
    return this.blocks[block]!.compare(key, 0, key.length, start - block * BLOCK, end - block * BLOCK) === 0;
  }

  text(start: number, end: number): string {
    return start === end ? '' : this.bytes(start, end).toString('utf8');
  }
}

/** The block that holds the bytes between two offsets whole, or -1 when they run into the next. */
function blockHolding(start: number, end: number): number {
  const block = Math.floor(start / BLOCK);
  return end - block * BLOCK <= BLOCK ? block : -1;
}
