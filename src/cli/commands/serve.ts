import type { AppContext } from '../../app/context.js';
import { bootstrapContext, channelWarnings, closeContext, openContext } from '../../app/open-context.js';
import { oidcSettings, type OidcSettings } from '../../app/oidc-login.js';
import type { PasswordLinkOut } from '../../app/passwords.js';
import { inboundSecrets, type InboundSecrets } from '../../app/tickets.js';
import { ClError } from '../../errors.js';
import type { Program } from '../program.js';
import { runs, type CliRun } from '../session.js';

/** `closeloop serve`: the HTTP API and the delivery dispatcher, until the host stops them. */
export function registerServe(program: Program, run: CliRun): void {
  const serve = program
    .command('serve')
    .description('start the HTTP API (and the delivery dispatcher)')
    .option('--port <port>', 'port', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--bootstrap', 'first start: when closeloop.yaml is missing, write the default one, make `admin` (or --by NAME) the first admin in the store and print a one-time API token');
  runs(run, serve, async (s, opts) => {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClError('CL_BAD_INPUT', `--port ${opts.port} is not a port number`);
    const { startServer } = await import('../../api/server.js');
    let ctx: AppContext;
    let passwordLink: PasswordLinkOut | null = null;
    if (opts.bootstrap) {
      const admin = s.actorOr('admin');
      const b = await bootstrapContext(s.source, admin, `http://${opts.host}:${port}`);
      ctx = b.ctx;
      if (b.token) {
        s.io.stdout.write(`first start: wrote ${ctx.configPath}; ${admin} is the first admin\nAPI token for ${admin} (shown once; keep it safe): ${b.token}\n`);
      }
      passwordLink = b.passwordLink;
    } else {
      ctx = await openContext(s.source, 'server');
    }
    let inbound: InboundSecrets;
    let oidc: OidcSettings | null;
    try {
      inbound = inboundSecrets(ctx.config, s.io.env);
      oidc = oidcSettings(ctx.config, s.io.env);
    } catch (err) {
      await closeContext(ctx);
      throw err;
    }
    s.warnIfExposed(ctx);
    for (const w of await channelWarnings(ctx)) s.io.stderr.write(w);
    // the server's context stays open after this command returns: closed when the server stops
    const app = await startServer(ctx, { host: opts.host, port, inbound, oidc }).catch(async (err: unknown) => {
      await closeContext(ctx);
      throw err;
    });
    const addr = app.server.address();
    const bound = addr !== null && typeof addr === 'object' ? addr.port : port;
    const scheme = ctx.config.server.tls === undefined ? 'http' : 'https';
    if (passwordLink !== null) {
      // without a public URL the link names the address the server listens on, its port as bound
      const link = new URL(passwordLink.url);
      const url = ctx.config.server.public_url === undefined ? `${scheme}://${opts.host}:${bound}${link.pathname}${link.search}` : passwordLink.url;
      s.io.stdout.write(`sign in to the web application: open ${url} to choose ${s.actorOr('admin')}'s password (works once, until ${passwordLink.expires_at})\n`);
    }
    s.io.stdout.write(`closeloop listening on ${scheme}://${opts.host}:${bound} (database ${ctx.store.location})\n`);
    s.io.onStop?.(async () => {
      s.io.stdout.write('closeloop stopping: finishing the requests in flight and the dispatcher pass\n');
      try {
        // Fastify stops accepting, answers requests in flight, then runs the onClose hook that
        // waits for the dispatcher's pass; only then is the store closed under them
        await app.close();
        await closeContext(ctx);
      } catch (err) {
        s.io.stderr.write(`closeloop: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
      s.io.stdout.write('closeloop stopped\n');
      return 0;
    });
  });
}
