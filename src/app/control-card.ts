/**
 * The IR-6(2) control card, versioned. closeloop.yaml holds the card in force; the store holds
 * every version it has run with (`control_card_versions`: the card's canonical JSON, its SHA-256,
 * when it took effect and for whom), each recorded once, with a `control_card.changed` audit event
 * in the same transaction. A card whose content changed while its `version` did not is refused at
 * start: a version names one content for good, so an incident's `control_card_version` says which
 * card it was run under (docs/decisions/control-card-versions.md).
 */
import { z } from 'zod';
import { appendAudit } from '../audit/chain.js';
import { canonicalJson, sha256Hex } from '../audit/canonical.js';
import type { Config } from '../config/schema.js';
import { ClError, notFound } from '../errors.js';
import type { Store } from '../store/db.js';
import { findControlCardVersion, insertControlCardVersionIfAbsent, listControlCardVersions } from '../store/repositories/control-card-versions.js';
import { hasIncidents } from '../store/repositories/incidents.js';
import type { ControlCardVersionRow, Db } from '../store/schema.js';
import { authorize, isoNow, type AppContext, type Caller, type Trx } from './context.js';
import { parseInput } from './validate.js';

export type ControlCard = Config['control_card'];

/** A recorded version of the card, as the store has it, with the card parsed. */
export interface ControlCardRecord {
  version: number;
  card: ControlCard;
  /** SHA-256 (hex) of the card's canonical JSON. */
  digest: string;
  /** When the store first ran with this version: when it took effect. */
  recorded_at: string;
  recorded_by: string;
}

/** The card's canonical JSON and its SHA-256: what a version is recorded as. */
export function controlCardDigest(card: ControlCard): { json: string; digest: string } {
  const json = canonicalJson(card);
  return { json, digest: sha256Hex(json) };
}

function toRecord(row: ControlCardVersionRow): ControlCardRecord {
  return { version: row.version, card: JSON.parse(row.card) as ControlCard, digest: row.digest, recorded_at: row.recorded_at, recorded_by: row.recorded_by };
}

/** The recorded card of `version`, or null when the store never ran with it (for the evidence bundle). */
export async function controlCardVersion(db: Db, version: number): Promise<ControlCardRecord | null> {
  const row = await findControlCardVersion(db, version);
  return row === undefined ? null : toRecord(row);
}

/** The refusal of a card edited without a new version: names the file, the key and what to do. */
function versionReused(configPath: string, card: ControlCard, recorded: ControlCardVersionRow, digest: string): ClError {
  return new ClError(
    'CL_CONFIG_INVALID',
    `${configPath}: control_card.version ${card.version} was recorded on ${recorded.recorded_at} with other content (sha256 ${recorded.digest.slice(0, 12)}…, now ${digest.slice(0, 12)}…); bump the version (control_card.version: ${card.version + 1}) to record the change, or restore the card of version ${card.version} (\`closeloop control-card --version ${card.version}\`)`,
    { file: configPath, key: 'control_card.version', version: card.version, recorded_digest: recorded.digest, digest },
  );
}

/**
 * Records the configured card as its version unless the store has it already (inside `trx`), with
 * a `control_card.changed` audit event by `actor`. Returns whether it was recorded here. The same
 * version with other content is refused (CL_CONFIG_INVALID naming closeloop.yaml); of two
 * processes recording one version at once, exactly one records it (a conditional insert).
 */
export async function recordControlCard(trx: Trx, config: Pick<Config, 'control_card'>, configPath: string, at: string, actor: string): Promise<boolean> {
  const card = config.control_card;
  const { json, digest } = controlCardDigest(card);
  const existing = await findControlCardVersion(trx, card.version);
  if (existing === undefined) {
    const row: ControlCardVersionRow = { version: card.version, card: json, digest, recorded_at: at, recorded_by: actor };
    if (await insertControlCardVersionIfAbsent(trx, row)) {
      await appendAudit(trx, { at, actor, action: 'control_card.changed', entityType: 'control_card', entityId: `${card.id}@v${card.version}`, incidentId: null, state: row });
      return true;
    }
  }
  const recorded = existing ?? (await findControlCardVersion(trx, card.version));
  if (recorded !== undefined && recorded.digest !== digest) throw versionReused(configPath, card, recorded, digest);
  return false;
}

/**
 * At start (a command's context, the server, `init`): the configured card recorded unless the store
 * has it already. Reads first, so a start with a known card writes nothing. `notice` is told when a
 * store that already holds incidents records a version (an upgrade, or a changed card).
 */
export async function recordControlCardAtStart(
  store: Store,
  config: Pick<Config, 'control_card'>,
  configPath: string,
  now: () => Date,
  actor: string,
  notice?: (line: string) => void,
): Promise<void> {
  const card = config.control_card;
  const known = await findControlCardVersion(store.db, card.version);
  if (known !== undefined) {
    const { digest } = controlCardDigest(card);
    if (known.digest !== digest) throw versionReused(configPath, card, known, digest);
    return;
  }
  const recorded = await store.transaction(async (trx) => {
    const earlier = await hasIncidents(trx);
    return (await recordControlCard(trx, config, configPath, now().toISOString(), actor)) && earlier;
  });
  if (recorded) notice?.(`closeloop: control card ${card.id} v${card.version} recorded as in force from now on; incidents opened earlier keep the version they were opened under (\`closeloop control-card history\`)\n`);
}

/**
 * The card version in force, recorded in `trx` if the store does not have it yet: what a new
 * incident is stamped with.
 */
export async function controlCardInForce(trx: Trx, ctx: AppContext, caller: Caller): Promise<number> {
  await recordControlCard(trx, ctx.config, ctx.configPath, isoNow(ctx), caller.actor);
  return ctx.config.control_card.version;
}

export const showControlCardInput = z.strictObject({
  /** A recorded version; default the one in force. */
  version: z.coerce.number().int().positive().optional(),
});

/** The card as clients receive it. */
export const controlCardOutput = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  objective: z.string(),
  owner_role: z.string(),
  triggers: z.array(z.string()),
  recipient_roles: z.array(z.string()),
  workflow_steps: z.array(z.string()),
  exception_rules: z.strictObject({ approver_roles: z.array(z.string()), max_review_days: z.number().int(), requester_may_not_approve: z.boolean() }),
  evidence_location: z.string(),
});

/** A recorded version as clients receive it. */
export const controlCardVersionOutput = z.strictObject({
  version: z.number().int(),
  card: controlCardOutput,
  digest: z.string(),
  recorded_at: z.string(),
  recorded_by: z.string(),
  /** Whether this is the version closeloop.yaml has now. */
  in_force: z.boolean(),
});

/** A recorded card version, and whether it is the one in force. */
export interface ControlCardShown extends ControlCardRecord {
  in_force: boolean;
}

/** The card of `version` (default the one in force), as recorded. Anyone who reads incidents reads the control they run under. */
export async function showControlCard(ctx: AppContext, caller: Caller, input: z.input<typeof showControlCardInput> = {}): Promise<ControlCardShown> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(showControlCardInput, input);
  const current = ctx.config.control_card.version;
  const version = p.version ?? current;
  let row = await findControlCardVersion(ctx.store.db, version);
  if (row === undefined && version === current) {
    await ctx.store.transaction((trx) => recordControlCard(trx, ctx.config, ctx.configPath, isoNow(ctx), caller.actor));
    row = await findControlCardVersion(ctx.store.db, version);
  }
  if (row === undefined) throw notFound('control card version', String(version));
  return { ...toRecord(row), in_force: version === current };
}

/** Every recorded version, oldest first, the card in force marked. */
export async function controlCardHistory(ctx: AppContext, caller: Caller): Promise<ControlCardShown[]> {
  await authorize(ctx, caller, 'incident.read');
  const current = ctx.config.control_card.version;
  return (await listControlCardVersions(ctx.store.db)).map((row) => ({ ...toRecord(row), in_force: row.version === current }));
}
