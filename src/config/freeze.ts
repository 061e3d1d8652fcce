/**
 * Deep freezing for loaded configuration.
 *
 * Every loader returns a value nobody can change after it was validated: plain objects and arrays are
 * frozen all the way down, and maps become `FrozenMap`s, which have no `set`, `delete` or `clear` at all
 * (a frozen `Map` would still accept `set`). Code that wants a different configuration loads it again.
 */

/** A read-only map that is itself frozen; writing to it throws (there are no writer methods). */
export class FrozenMap<K, V> implements ReadonlyMap<K, V> {
  readonly #map: Map<K, V>;

  constructor(entries: Iterable<readonly [K, V]> = []) {
    this.#map = new Map(entries);
    Object.freeze(this);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    this.#map.forEach((value, key) => callback.call(thisArg, value, key, this));
  }

  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  values(): MapIterator<V> {
    return this.#map.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'FrozenMap';
  }
}

/** Freezes `value` and every plain object and array reachable from it; returns it, typed as deeply read-only. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) {
    return value;
  }
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
