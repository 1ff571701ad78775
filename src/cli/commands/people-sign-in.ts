import type { Command } from '@commander-js/extra-typings';
import { createPasswordLink, PASSWORD_MAX_BYTES, setPassword } from '../../app/passwords.js';
import { revokeSessions } from '../../app/sessions.js';
import { ClError } from '../../errors.js';
import type { CliInput } from '../io.js';
import { acts, type CliRun } from '../session.js';

/** The first line of `stdin` (without its line end), read up to a bound; refuses a terminal and empty input. */
async function passwordFromStdin(stdin: CliInput | undefined): Promise<string> {
  const how = 'pipe it in, e.g. `printf \'%s\\n\' "$PASSWORD" | closeloop people passwd NAME --password-stdin`, or let the person choose it with `--link`';
  if (stdin === undefined || stdin.isTTY === true) throw new ClError('CL_BAD_INPUT', `--password-stdin reads the password from a pipe, not a terminal: ${how}`);
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n') || text.length > PASSWORD_MAX_BYTES * 4) break;
  }
  const line = (text.split('\n')[0] ?? '').replace(/\r$/, '');
  if (line === '') throw new ClError('CL_BAD_INPUT', `--password-stdin read no password (standard input was empty): ${how}`);
  return line;
}

/**
 * `closeloop people passwd NAME --password-stdin | --link` and `closeloop people sessions revoke
 * NAME`, under the `people` command.
 */
export function registerPasswd(people: Command, run: CliRun): void {
  const passwd = people
    .command('passwd <name>')
    .description('set a person\'s password for the web application (admin only): read from standard input, or as a one-time link the person opens')
    .option('--password-stdin', 'read the password from the first line of standard input (at least 12 characters)')
    .option('--link', 'print a one-time link with which the person sets their own password')
    .option('--hours <hours>', 'how long the link works (default 24)')
    .addHelpText(
      'after',
      `
Examples:
  printf '%s\\n' "$NEW_PASSWORD" | closeloop people passwd alice --password-stdin --by admin
  closeloop people passwd alice --link --by admin      # send the printed URL to alice
`,
    );
  acts(run, passwd, async ({ s, ctx, caller }, opts, name) => {
    if ((opts.passwordStdin === true) === (opts.link === true)) throw new ClError('CL_BAD_INPUT', 'say how: --password-stdin (the password from a pipe) or --link (the person chooses it)');
    if (opts.link === true) {
      const hours = opts.hours === undefined ? undefined : Number(opts.hours);
      const r = await createPasswordLink(ctx, caller, { name, ...(hours !== undefined ? { hours } : {}) });
      s.print({ id: r.name, ...r }, () => `set-password link for ${r.name} (works once, until ${r.expires_at}):\n${r.url}`);
      return;
    }
    if (opts.hours !== undefined) throw new ClError('CL_BAD_INPUT', '--hours goes with --link');
    const password = await passwordFromStdin(s.io.stdin);
    const r = await setPassword(ctx, caller, { name, password });
    s.print({ id: r.name, ...r }, () => `password of ${r.name} set${r.sessions_ended > 0 ? `; ${r.sessions_ended} browser session(s) ended` : ''}`);
  });

  const sessions = people.command('sessions').description('signed-in browser sessions');
  const revoke = sessions.command('revoke <name>').description('sign a person out of every browser (admin only)');
  acts(run, revoke, async ({ s, ctx, caller }, _opts, name) => {
    const r = await revokeSessions(ctx, caller, { name });
    s.print({ id: r.name, ...r }, () => `${r.name}: ${r.sessions_ended} session(s) ended`);
  });
}
