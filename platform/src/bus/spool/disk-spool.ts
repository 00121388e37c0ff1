import { type FileHandle, mkdir, open, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import { syncDirectory } from "../durable-file.ts";
import type { OutgoingRecord } from "../event-bus.ts";
import { encodeFrame, readFrame } from "../record-frame.ts";

export interface SpooledRecord {
  topic: string;
  record: OutgoingRecord;
}

export interface SpoolFile {
  name: string;
  entries: SpooledRecord[];
}

interface SpoolHeader {
  topic: string;
  key: string | null;
  headers?: Record<string, string>;
}

function isSpoolHeader(value: unknown): value is SpoolHeader {
  if (typeof value !== "object" || value === null) return false;
  const h = value as Record<string, unknown>;
  return typeof h.topic === "string" && (h.key === null || typeof h.key === "string");
}

const SPOOL_FILE = /^spool-(\d{12})\.log$/;

/**
 * Append-only spool files `spool-<seq>.log` (same CRC framing as the embedded log). Appends go
 * to the active file and are fdatasync'd before append() resolves; the replayer only reads
 * sealed files, sealing the active one when nothing older is left. Every operation runs under
 * one lock, so sealing never races an append.
 *
 * Retention (the embedded log's rule, README "Retention"): a file is deleted as soon as every
 * record in it was delivered (acknowledged by the bus) and never before; nothing ages out. The
 * spool therefore only ever holds the undelivered backlog of an outage, and is empty otherwise.
 */
export class DiskSpool {
  private readonly dir: string;
  private readonly fileBytes: number;
  private readonly logger: Logger;
  private readonly sealed: string[] = [];
  private readonly counts = new Map<string, number>();
  private active: { name: string; handle: FileHandle; size: number } | null = null;
  private nextSeq = 0;
  private lock: Promise<unknown> = Promise.resolve();
  /** Records in spool files that were not yet removed after replay. */
  records = 0;

  private constructor(dir: string, fileBytes: number, logger: Logger) {
    this.dir = dir;
    this.fileBytes = fileBytes;
    this.logger = logger;
  }

  /** Opens the spool, adopting files a previous process left (they are replayed first). */
  static async open(dir: string, fileBytes: number, logger: Logger): Promise<DiskSpool> {
    await mkdir(dir, { recursive: true });
    const spool = new DiskSpool(dir, fileBytes, logger);
    const names = (await readdir(dir)).filter((n) => SPOOL_FILE.test(n)).sort();
    for (const name of names) {
      const count = (await spool.read(name)).length;
      spool.sealed.push(name);
      spool.counts.set(name, count);
      spool.records += count;
    }
    const last = names.at(-1);
    spool.nextSeq = last ? Number(SPOOL_FILE.exec(last)![1]) + 1 : 0;
    return spool;
  }

  append(entries: readonly SpooledRecord[]): Promise<void> {
    return this.locked(async () => {
      if (entries.length === 0) return;
      if (!this.active) {
        const name = `spool-${String(this.nextSeq++).padStart(12, "0")}.log`;
        this.active = { name, handle: await open(join(this.dir, name), "a"), size: 0 };
        this.counts.set(name, 0);
        await syncDirectory(this.dir);
      }
      const frames = entries.map(({ topic, record }) => {
        const header: SpoolHeader = { topic, key: record.key };
        if (record.headers) header.headers = record.headers;
        return encodeFrame(header, record.value);
      });
      const bytes = Buffer.concat(frames);
      try {
        let written = 0;
        while (written < bytes.length) {
          written += (await this.active.handle.write(bytes, written, bytes.length - written)).bytesWritten;
        }
        await this.active.handle.datasync();
      } catch (error) {
        // A partial frame may now end this file: later appends go to a fresh file, so they stay readable.
        await this.seal().catch(() => undefined);
        throw error;
      }
      this.active.size += bytes.length;
      this.counts.set(this.active.name, (this.counts.get(this.active.name) ?? 0) + entries.length);
      this.records += entries.length;
      if (this.active.size >= this.fileBytes) await this.seal();
    });
  }

  /** The oldest spool file with its records, or null when the spool is empty. */
  nextFile(): Promise<SpoolFile | null> {
    return this.locked(async () => {
      if (this.sealed.length === 0 && this.active) await this.seal();
      const name = this.sealed[0];
      return name === undefined ? null : { name, entries: await this.read(name) };
    });
  }

  /** Deletes a replayed file: only after every record in it was acknowledged by the bus. */
  remove(file: SpoolFile): Promise<void> {
    return this.locked(async () => {
      await unlink(join(this.dir, file.name));
      await syncDirectory(this.dir);
      this.sealed.splice(this.sealed.indexOf(file.name), 1);
      this.records -= this.counts.get(file.name) ?? 0;
      this.counts.delete(file.name);
    });
  }

  close(): Promise<void> {
    return this.locked(() => this.seal());
  }

  private async seal(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    this.sealed.push(active.name);
    await active.handle.close();
  }

  private async read(name: string): Promise<SpooledRecord[]> {
    const bytes = await readFile(join(this.dir, name));
    const entries: SpooledRecord[] = [];
    let position = 0;
    while (position < bytes.length) {
      const frame = readFrame(bytes, position);
      if (frame.kind !== "frame" || !isSpoolHeader(frame.header)) {
        // Only a crash mid-append leaves this; that append never resolved, so nothing acknowledged is lost.
        this.logger.warn({ file: name, position, size: bytes.length }, "spool: ignoring torn tail");
        break;
      }
      const { topic, key, headers } = frame.header;
      entries.push({ topic, record: { key, value: Buffer.from(frame.value), headers } });
      position = frame.next;
    }
    return entries;
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }
}
