// A list that can be walked without being held: the contacts of a sending command are read from
// their file when they are walked (100,000 rows take the memory of one chunk of the file, not of
// 100,000 contacts). What the planners choose by (address, line, name, a few cells) is kept in
// memory from the walk that checked the file: a key per row. Filtering, counting and finding
// work on the keys alone; only walking the items reads the file, once, for the rows chosen.
// The same type wraps a list in memory (each item its own key), so the planners do not care
// which they have.

/** Where a Seq's items come from: `count` keys in memory, and a walk of the items in the same order. */
export interface SeqSource<T, K> {
  count: number;
  key(index: number): K;
  /** A new walk of every item, in key order. */
  walk(): Iterator<T>;
  /** The item at an index, when the items are in memory (no walk needed). */
  item?(index: number): T;
}

export class Seq<T extends K, K = T> implements Iterable<T> {
  /**
   * @param picked the indexes of the source's items in this Seq, ascending; undefined means all.
   */
  constructor(
    private readonly source: SeqSource<T, K>,
    private readonly picked?: readonly number[],
  ) {}

  static of<T>(items: readonly T[]): Seq<T, T> {
    return new Seq({ count: items.length, key: (i) => items[i] as T, item: (i) => items[i] as T, walk: () => items[Symbol.iterator]() });
  }

  /** How many there are: known without a walk. */
  get length(): number {
    return this.picked ? this.picked.length : this.source.count;
  }

  /** The keys, in order, from memory. */
  *keys(): Generator<K> {
    if (!this.picked) for (let i = 0; i < this.source.count; i++) yield this.source.key(i);
    else for (const i of this.picked) yield this.source.key(i);
  }

  /** Those whose key passes: decided in memory, no walk. */
  filter(keep: (key: K) => boolean): Seq<T, K> {
    const picked: number[] = [];
    this.eachIndex((i) => {
      if (keep(this.source.key(i))) picked.push(i);
    });
    return new Seq(this.source, picked);
  }

  /** The first `count`, in order. */
  take(count: number): Seq<T, K> {
    if (count >= this.length) return this;
    const n = Math.max(0, count);
    return new Seq(this.source, this.picked ? this.picked.slice(0, n) : Array.from({ length: n }, (_, i) => i));
  }

  /** The first key that passes the test. */
  find(test: (key: K) => boolean): K | undefined {
    for (const key of this.keys()) if (test(key)) return key;
    return undefined;
  }

  first(): K | undefined {
    return this.length > 0 ? this.source.key(this.picked ? this.picked[0]! : 0) : undefined;
  }

  /** The keys mapped, in memory. */
  map<U>(f: (key: K, index: number) => U): U[] {
    const out: U[] = [];
    for (const key of this.keys()) out.push(f(key, out.length));
    return out;
  }

  /** The items, in memory: one walk. */
  toArray(): T[] {
    return [...this];
  }

  /** The items, in order: one walk of the source (stopped after the last one picked), or none when they are in memory. */
  *[Symbol.iterator](): Generator<T> {
    const { source, picked } = this;
    if (source.item) {
      if (!picked) for (let i = 0; i < source.count; i++) yield source.item(i);
      else for (const i of picked) yield source.item(i);
      return;
    }
    if (picked?.length === 0) return;
    const walk = source.walk();
    try {
      let next = 0; // the index in `picked` to meet
      for (let at = 0; ; at++) {
        const step = walk.next();
        if (step.done) return;
        if (!picked) yield step.value;
        else if (picked[next] === at) {
          yield step.value;
          if (++next === picked.length) return;
        }
      }
    } finally {
      walk.return?.();
    }
  }

  private eachIndex(f: (index: number) => unknown): void {
    if (!this.picked) for (let i = 0; i < this.source.count; i++) f(i);
    else for (const i of this.picked) f(i);
  }
}
