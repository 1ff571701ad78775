/**
 * Asset identity: how the names a scanner report or an inventory gives an asset are normalised, so
 * that `web01.corp.example.com.`, `WEB01` and an image pulled as `nginx:1.25` meet the inventory's
 * records. Pure: no store, no I/O. The matching order that uses these keys is in
 * docs/importing.md ("Which asset a finding belongs to").
 */

/** What an alias names. `target` is a scanner target id kept verbatim (a merge records it). */
export const ALIAS_KINDS = ['host', 'ip', 'instance', 'image', 'repo', 'target'] as const;
export type AliasKind = (typeof ALIAS_KINDS)[number];

/** One normalised alias: unique by (kind, value); `nameKey` is the looser form matched last. */
export interface AliasKey {
  kind: AliasKind;
  value: string;
  nameKey: string | null;
}

/** Scanner target id prefixes (ingest/findings/common.ts) kept verbatim as `target` aliases. */
const TARGET_PREFIXES = ['manifest:', 'k8s:', 'package:', 'report:'];

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]*$/i;
const INSTANCE = /^(?:i-[0-9a-f]{8,17}|arn:aws:ec2:.*|projects\/[^/]+\/zones\/[^/]+\/instances\/.+|\/subscriptions\/.+\/virtualmachines\/.+)$/i;
const HOST = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

function isIp(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6.test(v) && (v.match(/:/g)?.length ?? 0) >= 2);
}

/** `Web01.Corp.Example.com.` → `web01.corp.example.com`; its name key is the short host `web01`. */
export function hostKey(name: string): AliasKey {
  const value = name.trim().toLowerCase().replace(/\.+$/, '');
  if (isIp(value)) return { kind: 'ip', value, nameKey: `ip:${value}` };
  const short = value.split('.')[0] ?? value;
  return { kind: 'host', value, nameKey: `host:${short}` };
}

/**
 * Splits an image reference into its repository (registry and path, Docker Hub defaults applied:
 * `nginx` → `docker.io/library/nginx`) and the full reference with tag and digest kept.
 */
export function imageParts(ref: string): { repository: string; full: string } {
  let r = ref.trim().replace(/\s+\([^()]*\)\s*$/, '');
  let digest = '';
  const at = r.indexOf('@');
  if (at >= 0) {
    digest = r.slice(at).toLowerCase();
    r = r.slice(0, at);
  }
  let tag = '';
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) {
    tag = r.slice(colon);
    r = r.slice(0, colon);
  }
  const parts = r.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository = (hasRegistry ? r : `docker.io/${parts.length === 1 ? `library/${r}` : r}`).toLowerCase();
  if (repository.startsWith('index.docker.io/')) repository = `docker.io/${repository.slice('index.docker.io/'.length)}`;
  return { repository, full: `${repository}${tag}${digest}` };
}

/** An image reference: value with tag/digest as given; name key the repository alone. */
export function imageKey(ref: string): AliasKey {
  const { repository, full } = imageParts(ref);
  return { kind: 'image', value: full, nameKey: `image:${repository}` };
}

/** `https://GitHub.com/Org/App.git/` and `git@github.com:Org/App` → `github.com/org/app`. */
export function repoKey(url: string): AliasKey {
  let v = url.trim().toLowerCase();
  v = v.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  v = v.replace(/^[^@/]+@/, '');
  const scp = /^([^/:]+):(?!\d+\/)(.+)$/.exec(v);
  if (scp !== null) v = `${scp[1] ?? ''}/${scp[2] ?? ''}`;
  v = v.replace(/\/+$/, '').replace(/\.git$/, '');
  return { kind: 'repo', value: v, nameKey: `repo:${v}` };
}

/** An alias with an explicit kind (`ip:10.0.0.5`, `image:nginx:1.25`, `repo:…`, `host:…`, `instance:…`). */
function keyOfKind(kind: AliasKind, rest: string): AliasKey {
  switch (kind) {
    case 'host':
    case 'ip':
      return hostKey(rest);
    case 'image':
      return imageKey(rest);
    case 'repo':
      return repoKey(rest);
    case 'instance': {
      const value = rest.trim().toLowerCase();
      return { kind: 'instance', value, nameKey: null };
    }
    case 'target':
      return { kind: 'target', value: rest.trim(), nameKey: null };
  }
}

/**
 * The normalised key of one alias as an inventory (or a finding's asset field) gives it. A `kind:`
 * prefix decides the kind; scanner target ids (`manifest:…`, `k8s:…`) are kept verbatim; otherwise
 * the shape decides: a URL or `.git` is a repository, an IP address an ip, `i-…`/ARN an instance,
 * a name with `/`, a tag or a digest an image, anything else a host name.
 */
export function aliasKey(alias: string): AliasKey | null {
  const a = alias.trim();
  if (a === '') return null;
  const colon = a.indexOf(':');
  if (colon > 0) {
    const prefix = a.slice(0, colon).toLowerCase();
    const kind = ALIAS_KINDS.find((k) => k === prefix);
    if (kind !== undefined && a.slice(colon + 1).trim() !== '') return keyOfKind(kind, a.slice(colon + 1));
  }
  if (TARGET_PREFIXES.some((p) => a.startsWith(p))) return { kind: 'target', value: a, nameKey: null };
  const lower = a.toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(lower) || lower.startsWith('git@') || lower.endsWith('.git')) return repoKey(a);
  if (isIp(lower.replace(/\.+$/, ''))) return hostKey(a);
  if (INSTANCE.test(a)) return { kind: 'instance', value: lower, nameKey: null };
  if (a.includes('/') || a.includes('@sha256:') || /:[^/]+$/.test(a) || !HOST.test(lower.replace(/\.+$/, ''))) return imageKey(a);
  return hostKey(a);
}

/** What a report says its target is (ingest AssetRef): its id, its name, and its kind of target. */
export interface TargetName {
  id: string;
  name: string | null;
  target_type: string | null;
  /** Other names of the target (a host's IP address, FQDN, NetBIOS name), read as host names. */
  also?: readonly string[];
}

/**
 * The alias keys a target is looked up by, most exact first: its own id read as an alias (an image
 * target `image:registry/app`, a `manifest:…` path), then its name as the report wrote it, read
 * by the target's kind.
 */
export function targetKeys(t: TargetName): AliasKey[] {
  const out: AliasKey[] = [];
  const push = (k: AliasKey | null): void => {
    if (k !== null && !out.some((o) => o.kind === k.kind && o.value === k.value)) out.push(k);
  };
  const name = t.name?.trim() ?? '';
  if (name !== '') {
    if (t.target_type === 'container_image') push(imageKey(name));
    else if (t.target_type === 'host') push(hostKey(name));
    else if (t.target_type === 'repository' && (name.includes('/') || name.includes('.'))) push(repoKey(name));
  }
  push(aliasKey(t.id));
  if (t.target_type === null && name !== '' && name !== t.id) push(aliasKey(name));
  for (const other of t.also ?? []) if (other.trim() !== '') push(hostKey(other));
  return out;
}

/** The looser keys of a target, tried when no id or alias matches (a short host, an image repository). */
export function targetNameKeys(t: TargetName): string[] {
  const keys = targetKeys(t).map((k) => k.nameKey).filter((k): k is string => k !== null);
  return [...new Set(keys)];
}

/**
 * The same matching over records held in memory (a triage over files): inventory ids, then
 * aliases, then a name key that exactly one asset's aliases have.
 */
export class AliasIndex {
  private readonly byKey = new Map<string, string>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly ids = new Set<string>();

  /** An inventory asset and its aliases (as given; normalised here). */
  add(assetId: string, aliases: readonly string[]): void {
    this.ids.add(assetId);
    for (const alias of aliases) {
      const k = aliasKey(alias);
      if (k === null) continue;
      this.byKey.set(`${k.kind}\u0000${k.value}`, assetId);
      if (k.nameKey === null) continue;
      const owners = this.byName.get(k.nameKey) ?? new Set<string>();
      owners.add(assetId);
      this.byName.set(k.nameKey, owners);
    }
  }

  /** The inventory asset a target belongs to, or null when none (or more than one by name) does. */
  match(t: TargetName): string | null {
    if (this.ids.has(t.id)) return t.id;
    if (t.name !== null && this.ids.has(t.name)) return t.name;
    for (const k of targetKeys(t)) {
      const hit = this.byKey.get(`${k.kind}\u0000${k.value}`);
      if (hit !== undefined) return hit;
    }
    const owners = new Set<string>();
    for (const n of targetNameKeys(t)) for (const o of this.byName.get(n) ?? []) owners.add(o);
    const [only] = owners;
    return owners.size === 1 && only !== undefined ? only : null;
  }
}
