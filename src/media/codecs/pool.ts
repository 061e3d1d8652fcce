/**
 * Sample-array allocation for decoders. V8 allocates a typed array larger than 64 bytes with its own
 * off-heap ArrayBuffer, which costs about 600 ns — four times the whole µ-law decode of a 20 ms frame. So,
 * like `Buffer.allocUnsafe` with Node's 8 KiB pool, small arrays are carved out of a shared 8 KiB slab and
 * large ones get their own buffer.
 *
 * Consequences for callers (the same as for pooled Buffers):
 * - never transfer a decoded array's `.buffer` to a worker (`postMessage(x, [x.buffer])` would detach the
 *   slab under every other array carved from it); copy it (`.slice()`) or post it without a transfer list;
 * - `.buffer` is the slab, so always use `byteOffset`/`byteLength` when viewing the bytes;
 * - a long-lived small array keeps its 8 KiB slab alive; `.slice()` it if you keep thousands.
 */

const SLAB_BYTES = 8192;
const POOL_MAX_SAMPLES = SLAB_BYTES / 4; // like Buffer: only requests below half the slab come from it

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A new zero-filled `Int16Array` of `length` samples, carved from the shared slab when small. */
export function allocSamples(length: number): Int16Array {
  if (length >= POOL_MAX_SAMPLES || length === 0) return new Int16Array(length);
  const bytes = length * 2;
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Int16Array(slab, used, length);
  used += bytes + (bytes & 6 ? 8 - (bytes & 7) : 0); // keep 8-byte alignment between arrays
  return view;
}
