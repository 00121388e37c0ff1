import { close, constants, fdatasync, open, writev } from "node:fs";

/*
 * The append path's file I/O on raw descriptors with node:fs callbacks: one promise per call and
 * no FileHandle bookkeeping (the promise API adds several promise and closure layers per call,
 * which the log paid per group-commit round). Errors are passed through unchanged.
 */

/*
 * Segment files are opened with O_DSYNC: a write returns only once its data, and the metadata
 * needed to read it back (the file size), are on stable storage — POSIX synchronized I/O data
 * integrity, the guarantee of write() followed by fdatasync(), in one system call and one trip
 * through libuv's thread pool instead of two. Where O_DSYNC does not exist (Windows), every
 * write is followed by an explicit fdatasync instead (`writeDurably`).
 */
const O_DSYNC: number | undefined = constants.O_DSYNC;
const APPEND_FLAGS = constants.O_APPEND | constants.O_WRONLY | constants.O_CREAT | (O_DSYNC ?? 0);

/** Opens `path` for durable appends (created if missing): see writeDurably. */
export function openAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, APPEND_FLAGS, 0o666, (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/**
 * Appends `buffers` (`bytes` in total) to a descriptor from openAppend and resolves once they
 * are durable (O_DSYNC, or an fdatasync where the platform lacks it).
 */
export async function writeDurably(fd: number, buffers: Uint8Array[], bytes: number): Promise<void> {
  await writevAll(fd, buffers, bytes);
  if (O_DSYNC === undefined) await datasyncFd(fd);
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (error) => (error ? reject(error) : resolve()));
  });
}

function datasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Appends all of `buffers` (`bytes` in total) to an append-mode descriptor with one writev,
 * the frames' parts as they are. A short write is continued from where it stopped. More than
 * IOV_MAX buffers are joined first: libuv would split them into several writev calls, and with
 * O_DSYNC each call is a sync of its own.
 */
function writevAll(fd: number, buffers: Uint8Array[], bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let remaining = buffers.length > IOV_MAX ? [Buffer.concat(buffers, bytes)] : buffers;
    let left = bytes;
    const written = (error: NodeJS.ErrnoException | null, count: number) => {
      if (error) return reject(error);
      left -= count;
      if (left <= 0) return resolve();
      if (count === 0) return reject(new Error(`writev wrote nothing with ${left} bytes left`));
      remaining = rest(remaining, count);
      writev(fd, remaining, written);
    };
    writev(fd, remaining, written);
  });
}

/** Linux' and macOS' limit on buffers per writev. */
const IOV_MAX = 1024;

/** `buffers` without their first `count` bytes. */
function rest(buffers: Uint8Array[], count: number): Uint8Array[] {
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
