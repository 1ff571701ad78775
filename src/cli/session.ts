/**
 * The one way a command runs: its options and arguments as commander parsed them (typed), a
 * session that prints, opens the application context and resolves paths in the run's directory,
 * and, whatever happens, the store closed and an error turned into its message and exit code (no
 * stack traces for user errors).
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { AppContext, Caller } from '../app/context.js';
import { closeContext, exposureWarning, initializeContext, openContext, pathIn, type ContextSource } from '../app/open-context.js';
import type { Progress } from '../app/progress.js';
import type { InitResult } from '../app/setup.js';
import { identifierProblem } from '../domain/limits.js';
import { ClError } from '../errors.js';
import type { CliIo } from './io.js';
import { EXIT, print, reportError } from './output.js';

/** The program-wide options every command has. */
export type GlobalOpts = OptionValues & {
  json?: true;
  by?: string;
};

/** One run of the program: where it reads and writes, and the exit code it ends with. */
export class CliRun {
  exitCode: number = EXIT.ok;

  constructor(readonly io: CliIo) {}
}

/** What a command's work may take from the run: printing, the actor, paths, the context. */
export class Session {
  private readonly opened: AppContext[] = [];

  constructor(
    readonly io: CliIo,
    private readonly global: GlobalOpts,
  ) {}

  get json(): boolean {
    return this.global.json === true;
  }

  /** The command's result: JSON with --json, else the human text. */
  print(value: unknown, human: () => string): void {
    print(this.io, { json: this.json }, value, human);
  }

  /** Warning lines on stderr (never on stdout, which may be JSON). */
  warn(lines: readonly string[]): void {
    for (const line of lines) this.io.stderr.write(`closeloop: warning: ${line}\n`);
  }

  /** The actor: --by, else CLOSELOOP_ACTOR; every change is recorded with it. */
  actor(): string {
    const actor = this.global.by ?? this.io.env.CLOSELOOP_ACTOR;
    if (!actor || actor.trim() === '') {
      throw new ClError('CL_BAD_INPUT', 'who is acting? pass --by NAME or set CLOSELOOP_ACTOR (every change is recorded in the audit log with its actor)');
    }
    return this.checkedActor(actor.trim());
  }

  /** The actor when one is given (--by, else a non-empty CLOSELOOP_ACTOR), else `fallback`. */
  actorOr(fallback: string): string {
    return this.checkedActor(this.global.by ?? (this.io.env.CLOSELOOP_ACTOR || fallback));
  }

  /** Refuses an actor name that is not an identifier (see domain/limits.ts), naming where it came from. */
  private checkedActor(actor: string): string {
    const problem = identifierProblem(actor);
    if (problem === null) return actor;
    const field = this.global.by === undefined ? 'CLOSELOOP_ACTOR' : '--by';
    throw new ClError('CL_BAD_INPUT', `invalid input: ${field}: the actor's name ${problem}`, { fields: [{ field, message: `the actor's name ${problem}` }] });
  }

  /** A file named on the command line, as this process opens it (relative to the run's directory). */
  path(file: string): string {
    return pathIn(this.io.cwd, file);
  }

  /** The environment, directory and clock the application context is opened with. */
  get source(): ContextSource {
    return { env: this.io.env, cwd: this.io.cwd, now: this.io.now ?? (() => new Date()), notice: (line: string) => this.io.stderr.write(line) };
  }

  /** Opens the application context; it is closed when the command ends. */
  async open(): Promise<AppContext> {
    return this.keep(await openContext(this.source));
  }

  /** `closeloop init`: writes the configuration and prepares the store; closed when the command ends. */
  async initialize(opts: { admin: string; reuseConfig: boolean }): Promise<InitResult> {
    const r = await initializeContext(this.source, opts);
    this.keep(r.ctx);
    return r;
  }

  /**
   * A progress reporter for long work: lines on stderr when stderr is a terminal or `--progress` is
   * given (stdout, `--json` included, is untouched). `CLOSELOOP_PROGRESS_MS` sets the interval.
   */
  progress(asked: boolean | undefined, what: string, noun: string): { onProgress?: (p: Progress) => void; progressIntervalMs?: number } {
    if (asked !== true && this.io.stderr.isTTY !== true) return {};
    const ms = Number(this.io.env.CLOSELOOP_PROGRESS_MS ?? 1000);
    return {
      onProgress: (p: Progress) => this.io.stderr.write(`closeloop: ${what}: ${p.done.toLocaleString('en')} ${p.counting ?? noun} (${p.seconds.toFixed(1)} s)\n`),
      progressIntervalMs: Number.isFinite(ms) && ms >= 0 ? ms : 1000,
    };
  }

  /** Closes every context this session opened. */
  async close(): Promise<void> {
    for (const ctx of this.opened.splice(0)) await closeContext(ctx);
  }

  private keep(ctx: AppContext): AppContext {
    this.opened.push(ctx);
    this.warnIfExposed(ctx);
    return ctx;
  }

  private warned = false;

  /** Once per command, on stderr: the store or configuration is readable by group or others. */
  warnIfExposed(ctx: AppContext): void {
    if (this.warned) return;
    const warning = exposureWarning(ctx);
    if (warning === null) return;
    this.warned = true;
    this.io.stderr.write(warning);
  }
}

/** A command's work: it may return an exit code for an outcome that is not an error (a broken chain, a failed case). */
type Work<Opts, Args extends unknown[]> = (s: Session, opts: Opts, ...args: Args) => Promise<number | void>;

/**
 * Sets `cmd`'s action: `work` gets a session, the command's own options and its arguments; the
 * contexts it opened are closed after it, and an error is reported with its exit code.
 */
export function runs<Args extends unknown[], Opts extends OptionValues, G extends GlobalOpts>(run: CliRun, cmd: Command<Args, Opts, G>, work: Work<Opts, Args>): void {
  cmd.action(async () => {
    const global: GlobalOpts = cmd.optsWithGlobals();
    const s = new Session(run.io, global);
    try {
      const code = await work(s, cmd.opts(), ...cmd.processedArgs);
      if (typeof code === 'number') run.exitCode = code;
    } catch (err) {
      run.exitCode = reportError(run.io, global, err);
    } finally {
      await s.close();
    }
  });
}

/** What a command acting on the store gets: the opened context and the acting caller. */
export interface Acting {
  s: Session;
  ctx: AppContext;
  caller: Caller;
}

/**
 * `runs` for a command that acts on the store as someone: the actor is required (checked before
 * anything is opened), then the context is opened for the work.
 */
export function acts<Args extends unknown[], Opts extends OptionValues, G extends GlobalOpts>(
  run: CliRun,
  cmd: Command<Args, Opts, G>,
  work: (a: Acting, opts: Opts, ...args: Args) => Promise<number | void>,
): void {
  runs(run, cmd, async (s, opts, ...args) => {
    const caller = { actor: s.actor() };
    const ctx = await s.open();
    return work({ s, ctx, caller }, opts, ...args);
  });
}
