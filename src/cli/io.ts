/**
 * What a CLI run reads from and writes to, passed in rather than taken from `process`: the bin
 * gives the process's own, tests give a directory, an environment and buffers, and run the program
 * in-process.
 */

/** An output stream, as much of one as the CLI uses (`process.stdout` is one). */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: progress lines by default (stderr), help wrapped to its width. */
  isTTY?: boolean;
  columns?: number;
}

/** An input stream, as much of one as the CLI uses (`process.stdin` is one). */
export interface CliInput extends AsyncIterable<string | Buffer> {
  /** A terminal: a secret typed there would be echoed, so it is refused. */
  isTTY?: boolean;
}

/** The process-wide workloads the bin tunes the runtime for (src/runtime.ts). */
export type CliWorkload = 'stored-triage';

/** Where one run of the program reads its settings and writes its output. */
export interface CliIo {
  /** The environment: CLOSELOOP_DB, CLOSELOOP_CONFIG, CLOSELOOP_ACTOR, … */
  env: Readonly<Record<string, string | undefined>>;
  /** The working directory: relative paths (files, the default store and configuration) are taken in it. */
  cwd: string;
  stdout: CliStream;
  stderr: CliStream;
  /** Standard input, for the commands that read a secret from it (`people passwd --password-stdin`); absent: nothing to read. */
  stdin?: CliInput;
  /** The clock of the use cases (default: the system's). */
  now?: () => Date;
  /**
   * Called once a command knows the workload it runs, for process-wide tuning (V8 flags): the bin
   * passes `tuneFor`; an in-process run leaves its host's runtime alone.
   */
  tune?: (workload: CliWorkload) => void;
  /**
   * Called by `serve` with the function that drains and stops the server: it stops accepting,
   * waits for the requests in flight and a dispatcher pass under way, closes the store, and
   * resolves with the exit code. The bin calls it on SIGINT and SIGTERM.
   */
  onStop?: (stop: () => Promise<number>) => void;
}
