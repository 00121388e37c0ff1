import { close, fdatasync, open, writev } from "node:fs";

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
 * Appends all of `buffers` (`bytes` in total) to an append-mode descriptor with one writev
 * request, the frames' parts as they are (no concatenation; libuv itself splits more than
 * IOV_MAX buffers into several writev calls). A short write is continued from where it stopped.
 */
export function writevAll(fd: number, buffers: Uint8Array[], bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let remaining = buffers;
    let left = bytes;
    const written = (error: NodeJS.ErrnoException | null, count: number) => {
      if (error) return reject(error);
      left -= count;
      if (left <= 0) return resolve();
      if (count === 0) return reject(new Error(`writev wrote nothing with ${left} bytes left`));
      remaining = withoutFirstBytes(remaining, count);
      writev(fd, remaining, written);
    };
    writev(fd, remaining, written);
  });
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
