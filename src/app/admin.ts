import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../audit/canonical.js';
import { verifyChain, type VerifyResult } from '../audit/chain.js';
import { verifyEntityStates, type EntityVerifyResult } from '../audit/entity-state.js';
import { LIMITS } from '../domain/limits.js';
import { ClError, notFound } from '../errors.js';
import { verifyCheckpoints, type CheckpointsVerification } from './audit-verify.js';
import { findApiToken, findApiTokenByHash, insertApiToken, listApiTokens, revokeApiToken, touchApiToken, type TokenListing } from '../store/repositories/api-tokens.js';
import { activeRoles } from '../store/repositories/people.js';
import { addDays, audit, authorize, inTransaction, isoNow, isPerson, nextId, today, type AppContext, type Caller } from './context.js';
import { identifier, parseInput, plainText, recordInput } from './validate.js';

/** `90d` (days from now) or `YYYY-MM-DD` (the token works through that day, UTC). */
const expiry = z
  .string()
  .trim()
  .regex(/^(\d{1,4}d|\d{4}-\d{2}-\d{2})$/, 'a number of days such as 90d, or a date as YYYY-MM-DD')
  .refine((s) => /^\d+d$/.test(s) || (!Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)), 'a real calendar date as YYYY-MM-DD');

export const createTokenInput = z.strictObject({
  actor: identifier('actor'),
  label: plainText('label', LIMITS.title).optional(),
  expires: expiry.optional(),
});

/** When a token given `expires` stops working (ISO time), or null (never). */
function expiresAt(ctx: AppContext, expires: string | undefined): string | null {
  if (expires === undefined) return null;
  const days = /^(\d+)d$/.exec(expires);
  const at = days !== null ? new Date(ctx.now().getTime() + Number(days[1]) * 86_400_000).toISOString() : `${addDays(expires, 1)}T00:00:00.000Z`;
  if (days !== null ? Number(days[1]) < 1 : expires < today(ctx)) {
    throw new ClError('CL_BAD_INPUT', `invalid input for an API token: expires: ${expires} is in the past; give a later date or a number of days such as 90d`, { fields: [{ field: 'expires', message: 'a future date, or at least 1d' }] });
  }
  return at;
}

/** Creates an API token for a person. The token is returned once; only its SHA-256 is stored. */
export async function createToken(ctx: AppContext, caller: Caller, input: z.input<typeof createTokenInput>): Promise<{ id: string; actor: string; label: string | null; expires_at: string | null; token: string }> {
  await authorize(ctx, caller, 'token.manage');
  const p = parseInput(createTokenInput, input);
  const expires_at = expiresAt(ctx, p.expires);
  const token = `clt_${randomBytes(24).toString('base64url')}`;
  const id = await inTransaction(ctx, async (trx) => {
    if (!(await isPerson(ctx, p.actor, trx))) {
      throw new ClError('CL_BAD_INPUT', `${p.actor} is not in the people directory; add them first with \`closeloop people add ${p.actor} --roles ROLE\``, { fields: [{ field: 'actor', message: 'a person in the directory' }] });
    }
    const id = await nextId(trx, 'TK');
    const row = { id, actor: p.actor, token_hash: sha256Hex(token), label: p.label ?? null, created_at: isoNow(ctx), revoked_at: null, expires_at, last_used_at: null };
    await insertApiToken(trx, row);
    await audit(trx, ctx, caller, { action: 'token.created', entityType: 'api_token', entityId: id, incidentId: null, state: { id, actor: p.actor, label: row.label, created_at: row.created_at, expires_at } });
    return id;
  });
  return { id, actor: p.actor, label: p.label ?? null, expires_at, token };
}

export const listTokensInput = z.strictObject({ actor: identifier('actor').optional() });

/** The API tokens (of one actor when given): id, actor, label, created, expires, last used, revoked; never a hash. */
export async function listTokens(ctx: AppContext, caller: Caller, input: z.input<typeof listTokensInput> = {}): Promise<TokenListing[]> {
  await authorize(ctx, caller, 'token.manage');
  const p = parseInput(listTokensInput, input);
  return listApiTokens(ctx.store.db, p.actor);
}

export const revokeTokenInput = z.strictObject({ id: identifier('token id') });

/** Revokes a token: from now on it is refused (401). Revoking a revoked token is refused with its date. */
export async function revokeToken(ctx: AppContext, caller: Caller, input: z.input<typeof revokeTokenInput>): Promise<TokenListing> {
  await authorize(ctx, caller, 'token.manage');
  const p = parseInput(revokeTokenInput, input);
  return inTransaction(ctx, async (trx) => {
    const at = isoNow(ctx);
    if (!(await revokeApiToken(trx, p.id, at))) {
      const t = await findApiToken(trx, p.id);
      if (t === undefined) throw notFound('API token', p.id);
      throw new ClError('CL_CONFLICT', `token ${p.id} was revoked already (${t.revoked_at ?? '?'})`, { id: p.id, revoked_at: t.revoked_at });
    }
    const t = (await findApiToken(trx, p.id))!;
    await audit(trx, ctx, caller, { action: 'token.revoked', entityType: 'api_token', entityId: p.id, incidentId: null, state: { id: p.id, actor: t.actor, revoked_at: at } });
    return t;
  });
}

/** A token's last use is written at most once in this many milliseconds, not on every request. */
export const LAST_USED_EVERY_MS = 60_000;

/**
 * The actor a bearer token acts for, or CL_UNAUTHENTICATED saying why not: unknown, revoked,
 * expired, or its person removed from the directory. Records the token's use (at most once a minute).
 */
export async function actorForToken(ctx: AppContext, token: string): Promise<string> {
  const row = await findApiTokenByHash(ctx.store.db, sha256Hex(token));
  if (row === undefined) throw new ClError('CL_UNAUTHENTICATED', 'the bearer token is unknown; an admin creates tokens with `closeloop token create --actor NAME`');
  const ask = `ask an admin for a new one (\`closeloop token create --actor ${row.actor}\`)`;
  if (row.revoked_at !== null) throw new ClError('CL_UNAUTHENTICATED', `the bearer token ${row.id} was revoked on ${row.revoked_at}; ${ask}`, { token: row.id });
  const now = ctx.now();
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) throw new ClError('CL_UNAUTHENTICATED', `the bearer token ${row.id} expired on ${row.expires_at}; ${ask}`, { token: row.id });
  if ((await activeRoles(ctx.store.db, row.actor)) === null) {
    throw new ClError('CL_UNAUTHENTICATED', `the bearer token ${row.id} acts for ${row.actor}, who is not in the people directory (removed?); an admin can add them back with \`closeloop people add ${row.actor} --roles ROLE\``, { token: row.id });
  }
  const since = new Date(now.getTime() - LAST_USED_EVERY_MS).toISOString();
  if (row.last_used_at === null || row.last_used_at < since) {
    // Best effort: a store too busy to record the use does not refuse the request.
    await ctx.store.transaction((trx) => touchApiToken(trx, row.id, now.toISOString(), since)).catch(() => undefined);
  }
  return row.actor;
}

/** The chain's verification, the signed checkpoints' (`checkpoints`), and whether every record matches its latest audit event (`entities`). */
export interface AuditVerifyResult extends VerifyResult {
  checkpoints: CheckpointsVerification;
  entities: EntityVerifyResult;
}

/**
 * Verifies the audit chain, its signatures and checkpoints (and the witness's), and the records it
 * vouches for: `ok` only when all hold. A broken chain names its first bad event; a checkpoint that
 * does not hold is named by its tree size; a record edited, deleted or inserted outside closeloop is
 * named in `entities.problems` by entity type and id (a set of findings, assets or decisions by its
 * last writer).
 */
export async function verifyAudit(ctx: AppContext, caller: Caller, opts: { witnessFile?: string } = {}): Promise<AuditVerifyResult> {
  await authorize(ctx, caller, 'audit.verify');
  const chain = await verifyChain(ctx.store.db);
  const checkpoints = await verifyCheckpoints(ctx, opts);
  const entities = await verifyEntityStates(ctx.store.db);
  return { ...chain, ok: chain.ok && checkpoints.ok && entities.ok, checkpoints, entities };
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('API token', createTokenInput);
recordInput('API token', revokeTokenInput);
