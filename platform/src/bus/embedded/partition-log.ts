import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import { syncDirectory } from "../durable-file.ts";
import type { OutgoingRecord } from "../event-bus.ts";
import { closeFd, datasyncFd, openAppend, readFdRange, writevAllSync } from "./fd-io.ts";
import {
  decodeRecords,
  indexFrames,
  type LogRecord,
  type Segment,
  scanSegment,
  segmentBaseOffset,
  segmentEnd,
  segmentFileName,
  segmentFor,
  storedRecordHead,
} from "./log-segment.ts";
import { readLogStart } from "./log-start.ts";
import { ignoreMissing, recoverPartition } from "./partition-recovery.ts";
import { deleteSegmentsBefore, type SealedSegment } from "./segment-deletion.ts";

export type { LogRecord } from "./log-segment.ts";

export interface PartitionLogOptions {
  dir: string;
  /** A segment is rolled once it would grow past this many bytes. */
  segmentBytes: number;
  /** The writer truncates torn tails and appends; a reader never modifies a file. */
  writable: boolean;
  logger: Logger;
}

/**
 * The append-only log of one partition: segment files plus an in-memory offset → position index.
 * Appends happen in two steps driven by the group-commit writer: write() puts frames in the file, sync()
 * fsyncs and only then makes them visible (visibleEnd, like Kafka's high watermark), so a consumer never
 * sees a record a crash could take back. A round's sync may run while the next round writes.
 */
export class PartitionLog {
  private readonly options: PartitionLogOptions;
  private readonly segments: Segment[];
  /** Start offset when no segment is left (see log-start.ts); offsets are never reused. */
  private logStart: number;
  private nextOffset: number;
  private visibleEnd: number;
  private writeFd: number | null = null; // append-mode descriptor of the active segment (writer only)
  /** Written since the last sync began (the active segment's, any rolled away from); being fsync'd by it. */
  private unsynced: number[] = [];
  private syncingFds: number[] = [];
  private syncChain: Promise<void> = Promise.resolve(); // one sync at a time, in call order
  private directoryChanged = false;
  /** Set after a failed write/fsync: the file state is unknown, so the partition refuses appends. */
  private failure: Error | null = null;
  private readonly waiters = new Set<() => void>();
  private refreshing: Promise<void> | null = null;

  private constructor(options: PartitionLogOptions, segments: Segment[], logStart: number) {
    this.options = options;
    this.segments = segments;
    this.logStart = logStart;
    const last = segments.at(-1);
    this.nextOffset = last ? segmentEnd(last) : logStart;
    this.visibleEnd = this.nextOffset;
  }

  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const { segments, startOffset } = await recoverPartition(options.dir, options.writable, options.logger);
    const log = new PartitionLog(options, segments, startOffset);
    const active = segments.at(-1);
    if (options.writable && active) log.writeFd = await openAppend(active.path);
    return log;
  }

  /** First offset still stored (reads below it start here). */
  get startOffset(): number {
    return this.segments[0]?.baseOffset ?? this.logStart;
  }

  /** Next offset to be made visible: readers see offsets below it. */
  get endOffset(): number {
    return this.visibleEnd;
  }

  /** Appends frames to the segment files; they stay invisible until sync() resolves. */
  async write(records: readonly OutgoingRecord[], timestamp: number, startSegment = false): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      // Each frame is two parts, its head and the record's own value buffer (never copied): one writev.
      let parts: Uint8Array[] = [];
      let pendingBytes = 0;
      // startSegment: the records begin a new segment (compaction's copies, so the head before them can go whole).
      let rollFirst = startSegment && (this.segments.at(-1)?.positions.length ?? 0) > 0;
      let active = this.segments.at(-1);
      for (const record of records) {
        const head = storedRecordHead(this.nextOffset, timestamp, record.key, record.headers, record.value);
        const frameBytes = head.length + record.value.length;
        const wouldOverflow = active && active.size + pendingBytes + frameBytes > this.options.segmentBytes;
        if (!active || this.writeFd === null || rollFirst || (wouldOverflow && active.size + pendingBytes > 0)) {
          rollFirst = false;
          this.flush(parts, pendingBytes);
          parts = [];
          pendingBytes = 0;
          active = await this.roll();
        }
        active.positions.push(active.size + pendingBytes);
        if (timestamp > active.maxTimestamp) active.maxTimestamp = timestamp;
        parts.push(head, record.value);
        pendingBytes += frameBytes;
        this.nextOffset += 1;
      }
      this.flush(parts, pendingBytes);
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  /** fdatasyncs what write() wrote, then makes it visible; one at a time, each covering all written before it. */
  sync(): Promise<void> {
    const run = this.syncChain.then(() => this.syncNow());
    this.syncChain = run.catch(() => undefined);
    return run;
  }

  private async syncNow(): Promise<void> {
    if (this.failure) throw this.failure;
    const end = this.nextOffset;
    try {
      const fds = this.unsynced;
      this.unsynced = [];
      this.syncingFds = fds;
      if (fds.length === 1) await datasyncFd(fds[0]!);
      else await Promise.all(fds.map(datasyncFd));
      // Close rolled-away fds in the tick syncingFds empties, else roll() could close one too (twice).
      const retired = fds.filter((fd) => fd !== this.writeFd && !this.unsynced.includes(fd));
      this.syncingFds = [];
      await Promise.all(retired.map(closeFd));
      if (this.directoryChanged) {
        this.directoryChanged = false;
        await syncDirectory(this.options.dir);
      }
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
    if (end <= this.visibleEnd) return;
    this.visibleEnd = end;
    if (this.waiters.size > 0) for (const wake of [...this.waiters]) wake();
  }

  /** Synchronous (writevSync, page cache): a round that needs no new segment awaits nothing before it settles. */
  private flush(parts: Uint8Array[], bytes: number): void {
    const active = this.segments.at(-1);
    if (bytes === 0 || !active || this.writeFd === null) return;
    writevAllSync(this.writeFd, parts, bytes);
    active.size += bytes;
    if (!this.unsynced.includes(this.writeFd)) this.unsynced.push(this.writeFd);
  }

  /** Starts a new segment at nextOffset; the old descriptor is closed by the next sync() if written. */
  private async roll(): Promise<Segment> {
    const segment: Segment = {
      baseOffset: this.nextOffset,
      path: join(this.options.dir, segmentFileName(this.nextOffset)),
      positions: [],
      size: 0,
      maxTimestamp: 0,
    };
    const fd = await openAppend(segment.path);
    const old = this.writeFd;
    if (old !== null && !this.unsynced.includes(old) && !this.syncingFds.includes(old)) await closeFd(old);
    this.writeFd = fd;
    this.segments.push(segment);
    this.directoryChanged = true;
    return segment;
  }

  /** Up to maxRecords visible records from `from` (fewer at a segment end or past maxBytes); a `from` below
   *  startOffset (deleted by retention) reads from there: callers take each record's own offset. */
  async read(from: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
    try {
      return await this.readOnce(from, maxRecords, maxBytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      // Deleted since it was looked up (by this writer, or by the writer process): read again.
      await this.dropDeletedHead();
      return this.readOnce(from, maxRecords, maxBytes);
    }
  }

  private async readOnce(from: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
    const start = Math.max(from, this.startOffset);
    const end = Math.min(this.visibleEnd, start + maxRecords);
    if (start >= end) return [];
    const segment = segmentFor(this.segments, start);
    const first = start - segment.baseOffset;
    const endOf = (i: number) => (i < segment.positions.length ? segment.positions[i]! : segment.size);
    let last = Math.min(end - segment.baseOffset, segment.positions.length);
    const startPosition = segment.positions[first]!;
    while (last > first + 1 && endOf(last) - startPosition > maxBytes) last = first + Math.ceil((last - first) / 2);
    const bytes = await readFdRange(segment.path, startPosition, endOf(last));
    return decodeRecords(segment, bytes, start, segment.baseOffset + last);
  }

  /** Resolves once offsets ≥ `position` are visible, after `pollMs`, or on abort. */
  waitForAppend(position: number, pollMs: number, signal: AbortSignal): Promise<void> {
    if (this.visibleEnd > position || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Reader side: picks up records another process appended since the last look. */
  refresh(): Promise<void> {
    if (this.options.writable) return Promise.resolve();
    // One scan at a time (two would index the same bytes twice). ENOENT: the writer deleted a segment mid-scan.
    this.refreshing ??= this.scanForAppends()
      .catch(ignoreMissing)
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async scanForAppends(): Promise<void> {
    await this.dropDeletedHead();
    const active = this.segments.at(-1);
    if (active) {
      const { size } = await stat(active.path);
      if (size > active.size) indexFrames(active, await readFdRange(active.path, active.size, size), active.size);
    }
    const names = await readdir(this.options.dir).catch(() => [] as string[]);
    // Files below the log start are leftovers of a deletion the writer is finishing.
    const known = active?.baseOffset ?? this.startOffset - 1;
    const newer = names.map(segmentBaseOffset).filter((b): b is number => b !== null && b > known);
    for (const base of newer.sort((a, b) => a - b)) {
      const tail = this.segments.at(-1);
      if ((tail ? segmentEnd(tail) : this.startOffset) !== base) break;
      this.segments.push((await scanSegment(this.options.dir, base)).segment);
    }
    const last = this.segments.at(-1);
    this.nextOffset = last ? segmentEnd(last) : this.logStart;
    this.visibleEnd = this.nextOffset;
  }

  /** Sealed segments (every one but the active one), oldest first, for retention decisions. */
  sealedSegments(): SealedSegment[] {
    return this.segments.slice(0, -1).map((s) => ({
      baseOffset: s.baseOffset,
      endOffset: segmentEnd(s),
      bytes: s.size,
      maxTimestamp: s.maxTimestamp,
    }));
  }

  /** Bytes of all segment files, the active one included. */
  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Deletes the segments below `offset`, a segment's base (never the active one); writer only, crash-safe. */
  async deleteBefore(offset: number): Promise<number> {
    if (!this.options.writable) throw new Error("deleteBefore on a read-only partition log");
    const index = this.segments.findIndex((s) => s.baseOffset === offset);
    if (index < 0) throw new Error(`${this.options.dir}: ${offset} is not the base of a segment`);
    if (index === 0) return 0;
    const freed = await deleteSegmentsBefore(this.options.dir, this.segments, index);
    this.logStart = offset;
    return freed;
  }

  /** Reader side: forgets head segments the writer deleted (per the log-start marker). */
  private async dropDeletedHead(): Promise<void> {
    const start = await readLogStart(this.options.dir);
    if (start === null || start <= this.startOffset) return;
    this.logStart = start;
    const gone = this.segments.findIndex((s) => s.baseOffset >= start);
    this.segments.splice(0, gone < 0 ? this.segments.length : gone);
  }

  async close(): Promise<void> {
    await this.syncChain;
    for (const wake of [...this.waiters]) wake();
    const fds = new Set(this.writeFd === null ? this.unsynced : [...this.unsynced, this.writeFd]);
    this.unsynced = [];
    this.writeFd = null;
    await Promise.all([...fds].map(closeFd));
  }
}
