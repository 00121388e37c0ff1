import { close, fdatasync, open, read, writevSync } from "node:fs";

/*
 * The append path's file I/O on raw descriptors with node:fs callbacks: one promise per call and
 * no FileHandle bookkeeping (the promise API adds several promise and closure layers per call,
 * which the log paid per group-commit round). Errors are passed through unchanged.
 */

/** Opens `path` for appending (created if missing), like `open(path, "a")`. */
export function openAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, "a", (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (error) => (error ? reject(error) : resolve()));
  });
}

export function datasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Appends all of `buffers` (`bytes` in total) to an append-mode descriptor, the frames' parts as they
 * are (no concatenation), continuing a short write from where it stopped; throws what writev throws.
 * Synchronous on purpose: an append of a round's frames lands in the page cache in microseconds, while
 * a round trip through the libuv pool costs more CPU and adds its latency to every answer waiting for
 * the write (README.md, "fsync policy", measured). No promise either: the round that calls it awaits
 * nothing more for its write. The fsync that follows stays asynchronous.
 */
export function writevAllSync(fd: number, buffers: Uint8Array[], bytes: number): void {
  let remaining = buffers;
  let left = bytes;
  while (left > 0) {
    const count = writevSync(fd, remaining);
    left -= count;
    if (left <= 0) break;
    if (count === 0) throw new Error(`writev wrote nothing with ${left} bytes left`);
    remaining = withoutFirstBytes(remaining, count);
  }
}

/** `buffers` without their first `count` bytes. */
export function withoutFirstBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  let skip = count;
  let i = 0;
  while (skip >= buffers[i]!.length) {
    skip -= buffers[i]!.length;
    i += 1;
  }
  const out = buffers.slice(i);
  out[0] = out[0]!.subarray(skip);
  return out;
}

/**
 * Reads `length` bytes at file `position` into the start of `buffer` on the callback API, retrying short
 * reads; a file that ends first is an error naming `path`. The promise API's FileHandle reads (a promise
 * and the handle's bookkeeping per call) cost more main-thread time per slice than the read itself.
 */
export function readFullyAt(fd: number, buffer: Buffer, length: number, position: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const readFrom = (done: number) => {
      if (done >= length) return resolve();
      read(fd, buffer, done, length - done, position + done, (error, bytesRead) => {
        if (error) return reject(error);
        if (bytesRead === 0)
          return reject(new Error(`${path} ends at ${position + done}, before ${position + length}`));
        readFrom(done + bytesRead);
      });
    };
    readFrom(0);
  });
}

/** Bytes [start, end) of the file at `path`: open, readFullyAt, close (a consumer reads its batches in slices). */
export function readFdRange(path: string, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(end - start);
  return new Promise((resolve, reject) => {
    open(path, "r", (openError, fd) => {
      if (openError) return reject(openError);
      readFullyAt(fd, buffer, buffer.length, start, path).then(
        () => close(fd, (closeError) => (closeError ? reject(closeError) : resolve(buffer))),
        (error: unknown) => close(fd, () => reject(error)),
      );
    });
  });
}
