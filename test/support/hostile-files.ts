/**
 * A set of hostile and broken files in the Kaggle layout, made on demand
 * (nothing binary is committed): each is a way a real dataset directory
 * has broken the loader, named after what it is, with the reason the loader
 * must give when it skips it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, ftruncateSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';

export interface Hostile {
  /** File name under <root>/train/PNEUMONIA (or the path for odd names). */
  name: string | Buffer;
  /** What the skip reason must match. */
  reason: RegExp;
}

/** A PNG whose header claims `w` x `h` but whose data holds a few rows only. */
function lyingPng(w: number, h: number, rows: number): Uint8Array {
  const real = encode({ width: w, height: rows, depth: 8, channels: 1, data: new Uint8Array(w * rows).fill(128) });
  const out = real.slice();
  new DataView(out.buffer).setUint32(20, h);
  // IHDR's CRC now mismatches too: the loader refuses the file either for
  // its size, its CRC or its short data, before allocating the claimed size.
  return out;
}

/** Writes the hostile set into `dir` (a class folder) and returns what the loader must say of each. */
export function writeHostileFiles(dir: string): Hostile[] {
  mkdirSync(dir, { recursive: true });
  const at = (n: string) => join(dir, n);
  const list: Hostile[] = [];
  // 1. A header claiming 20000 x 20000 in 100 bytes (pngjs decoded it into 4.8 GB).
  writeFileSync(at('person901_bacteria_1.png'), lyingPng(4, 20000, 1).slice(0, 100));
  list.push({ name: 'person901_bacteria_1.png', reason: /unsupported image size 4x20000|truncated/ });
  const huge = encode({ width: 2, height: 2, depth: 8, channels: 1, data: new Uint8Array(4) });
  new DataView(huge.buffer).setUint32(16, 60000);
  new DataView(huge.buffer).setUint32(20, 60000);
  writeFileSync(at('person902_bacteria_1.png'), huge);
  list.push({ name: 'person902_bacteria_1.png', reason: /unsupported image size 60000x60000/ });
  // 2. 8000 x 8000 claimed, 4 rows of data.
  writeFileSync(at('person903_bacteria_1.png'), lyingPng(8000, 8000, 4));
  list.push({ name: 'person903_bacteria_1.png', reason: /truncated|corrupt/ });
  // 3. A 1.5 GB (sparse) file named .jpeg.
  const fd = openSync(at('person904_bacteria_1.jpeg'), 'w');
  ftruncateSync(fd, 1536 * 2 ** 20);
  closeSync(fd);
  list.push({ name: 'person904_bacteria_1.jpeg', reason: /over the 64 MB limit/ });
  // 4. A truncated JPEG.
  writeFileSync(at('person905_bacteria_1.jpeg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
  list.push({ name: 'person905_bacteria_1.jpeg', reason: /corrupt or truncated JPEG/ });
  // 5. A symbolic link loop, and a dangling link.
  symlinkSync('person906_bacteria_1.jpeg', at('person906_bacteria_1.jpeg'));
  list.push({ name: 'person906_bacteria_1.jpeg', reason: /symbolic link loop/ });
  symlinkSync('/nonexistent/x.jpeg', at('person907_bacteria_1.jpeg'));
  list.push({ name: 'person907_bacteria_1.jpeg', reason: /dangling symbolic link/ });
  // 6. A FIFO (reading it would block forever).
  execFileSync('mkfifo', [at('person908_bacteria_1.jpeg')]);
  list.push({ name: 'person908_bacteria_1.jpeg', reason: /not a regular file/ });
  // 7. A directory named like an image.
  mkdirSync(at('person909_bacteria_1.jpeg'));
  list.push({ name: 'person909_bacteria_1.jpeg', reason: /a directory, not an image file/ });
  // 8. A file name that is not UTF-8 (Latin-1 "é").
  const latin1 = Buffer.concat([Buffer.from(`${dir}/person910_bacteria_`), Buffer.from([0xe9]), Buffer.from('.jpeg')]);
  writeFileSync(latin1, 'x');
  list.push({ name: latin1, reason: /not valid UTF-8/ });
  // 9. An empty file and a text file.
  writeFileSync(at('person911_bacteria_1.jpeg'), '');
  list.push({ name: 'person911_bacteria_1.jpeg', reason: /empty file/ });
  writeFileSync(at('person912_bacteria_1.png'), 'hello, not an image');
  list.push({ name: 'person912_bacteria_1.png', reason: /not a JPEG or PNG image/ });
  // 10. A well-formed PNG whose image-data chunk fails its CRC (one bit flipped in the stored CRC).
  const good = encode({ width: 8, height: 8, depth: 8, channels: 1, data: new Uint8Array(64).fill(90) });
  const idat = Buffer.from(good).indexOf('IDAT');
  const idatLength = new DataView(good.buffer, good.byteOffset).getUint32(idat - 4);
  const badCrc = good.slice();
  badCrc[idat + 4 + idatLength] ^= 1;
  writeFileSync(at('person913_bacteria_1.png'), badCrc);
  list.push({ name: 'person913_bacteria_1.png', reason: /corrupt or truncated PNG \(CRC mismatch for chunk IDAT/ });
  return list;
}
