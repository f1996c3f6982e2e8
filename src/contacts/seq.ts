// A list that can be walked again and again without being held: the contacts of a sending
// command are read from their file each time they are walked (100,000 rows take the memory of
// one chunk of the file, not of 100,000 contacts), and filtered lazily. The same type wraps a
// list in memory, so the planners do not care which they have.

export class Seq<T> implements Iterable<T> {
  private counted?: number;

  /** `walk` starts a new walk each time it is called; it must give the same items every time (`count` of them, when known). */
  constructor(
    private readonly walk: () => Iterator<T>,
    count?: number,
  ) {
    this.counted = count;
  }

  static of<T>(items: readonly T[]): Seq<T> {
    return new Seq(() => items[Symbol.iterator](), items.length);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.walk();
  }

  /** How many there are: one walk, the first time it is asked. */
  get length(): number {
    if (this.counted === undefined) {
      let n = 0;
      for (const walk = this.walk(); !walk.next().done;) n++;
      this.counted = n;
    }
    return this.counted;
  }

  filter(keep: (item: T) => boolean): Seq<T> {
    return new Seq(() => kept(this, keep));
  }

  /** The first `count`, in order. */
  take(count: number): Seq<T> {
    return new Seq(() => firstOf(this, count));
  }

  find(test: (item: T) => boolean): T | undefined {
    for (const item of this) if (test(item)) return item;
    return undefined;
  }

  /** The mapped values, in memory: for what is small per item (addresses) or a short list. */
  map<U>(f: (item: T, index: number) => U): U[] {
    const out: U[] = [];
    let i = 0;
    for (const item of this) out.push(f(item, i++));
    return out;
  }

  first(): T | undefined {
    return this.find(() => true);
  }
}

function* kept<T>(source: Iterable<T>, keep: (item: T) => boolean): Generator<T> {
  for (const item of source) if (keep(item)) yield item;
}

function* firstOf<T>(source: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  let n = 0;
  for (const item of source) {
    yield item;
    if (++n >= count) return;
  }
}
