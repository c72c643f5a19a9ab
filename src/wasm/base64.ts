/**
 * Decode base64 (the embedded kernel binaries) with `atob`, which Node (≥ 16), browsers and Web Workers all
 * have, so the runtime needs no `Buffer` and bundles for the browser unchanged.
 */
export function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
