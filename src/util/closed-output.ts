/*
 * A reader that goes away (`taskwave run … | head -2`) closes our stdout: writing to it then fails
 * with EPIPE, as an 'error' event that, with no listener, kills the process mid-run with a stack
 * trace and leaves the run "interrupted", its lock and worktrees behind. The books (execution.json,
 * report.md) are the record of a run, not its terminal lines: a closed output is not an error, so
 * the run goes on to its end and exits with its own code.
 */

/** Errors that only say the reader is gone (or the stream already ended): nothing more to write. */
const CLOSED_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * Once per stream: stdout's and stderr's errors of a closed reader are ignored (later writes go
 * nowhere); any other error is rethrown, as it would have been without a listener.
 */
export function ignoreClosedOutput(streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && CLOSED_CODES.has(error.code)) return;
      throw error;
    });
  }
}

/** Whether `stream` can still be written: not destroyed, not ended, its reader not gone. */
export function isOpen(stream: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }): boolean {
  return stream.writable && stream.destroyed !== true && stream.writableEnded !== true;
}

/** `text` to `stream`, or nothing when it is closed: a logger must not throw for a reader gone. */
export function writeIfOpen(stream: NodeJS.WritableStream & { destroyed?: boolean }, text: string): void {
  if (!isOpen(stream)) return;
  try {
    stream.write(text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !CLOSED_CODES.has(code)) throw error;
  }
}
