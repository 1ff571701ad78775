import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../audit/canonical.js';
import { verifyChain, type VerifyResult } from '../audit/chain.js';
import { setPersonRoles } from '../config/load.js';
import { roleName } from '../config/schema.js';
import { LIMITS } from '../domain/limits.js';
import { ClError } from '../errors.js';
import { findApiTokenByHash, insertApiToken } from '../store/repositories/api-tokens.js';
import { audit, authorize, inTransaction, isPerson, isoNow, nextId, type AppContext, type Caller } from './context.js';
import { identifier, parseInput, plainText, recordInput } from './validate.js';

const roleList = z.array(roleName).min(1, 'at least one role');

export const addPersonInput = z.strictObject({ name: identifier('name'), roles: roleList });

/**
 * Adds (or re-roles) a person in the people directory of closeloop.yaml. The change is audited in
 * the database chain, since approval authority derives from it.
 */
export async function addPerson(ctx: AppContext, caller: Caller, input: z.input<typeof addPersonInput>): Promise<{ name: string; roles: string[] }> {
  authorize(ctx, caller, 'people.manage');
  const p = parseInput(addPersonInput, input);
  const roles = [...new Set(p.roles)];
  await inTransaction(ctx, async (trx) => {
    await audit(trx, ctx, caller, { action: 'people.set_roles', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, roles } });
    // Written inside the transaction: if the file cannot be written, the audit event rolls back.
    ctx.config = setPersonRoles(ctx.configPath, p.name, roles);
  });
  return { name: p.name, roles };
}

export const createTokenInput = z.strictObject({ actor: identifier('actor'), label: plainText('label', LIMITS.title).optional() });

/** Creates an API token for a person. The token is returned once; only its SHA-256 is stored. */
export async function createToken(ctx: AppContext, caller: Caller, input: z.input<typeof createTokenInput>): Promise<{ id: string; actor: string; token: string }> {
  authorize(ctx, caller, 'token.manage');
  const p = parseInput(createTokenInput, input);
  if (!isPerson(ctx, p.actor)) {
    throw new ClError('CL_BAD_INPUT', `${p.actor} is not in the people directory; add them first with \`closeloop people add ${p.actor} --roles ROLE\``, { fields: [{ field: 'actor', message: 'a person in the directory' }] });
  }
  const token = `clt_${randomBytes(24).toString('base64url')}`;
  const id = await inTransaction(ctx, async (trx) => {
    const id = await nextId(trx, 'TK');
    const row = { id, actor: p.actor, token_hash: sha256Hex(token), label: p.label ?? null, created_at: isoNow(ctx), revoked_at: null };
    await insertApiToken(trx, row);
    await audit(trx, ctx, caller, { action: 'token.created', entityType: 'api_token', entityId: id, incidentId: null, state: { id, actor: p.actor, label: row.label, created_at: row.created_at } });
    return id;
  });
  return { id, actor: p.actor, token };
}

/** The actor a bearer token belongs to, or null (unknown or revoked). */
export async function actorForToken(ctx: AppContext, token: string): Promise<string | null> {
  const row = await findApiTokenByHash(ctx.store.db, sha256Hex(token));
  if (!row || row.revoked_at !== null) return null;
  return row.actor;
}

export async function verifyAudit(ctx: AppContext, caller: Caller): Promise<VerifyResult> {
  authorize(ctx, caller, 'audit.verify');
  return verifyChain(ctx.store.db);
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('person', addPersonInput);
recordInput('API token', createTokenInput);
