import { describe, expect, it } from 'vitest';
import { AliasIndex, aliasKey, imageParts, targetKeys, targetNameKeys } from '../../src/domain/asset-identity.js';

/** How the names of an asset are normalised, and matched in memory (docs/importing.md). */
describe('asset identity', () => {
  it('normalises host names, FQDNs and IP addresses', () => {
    expect(aliasKey('Web01.Corp.Example.com.')).toEqual({ kind: 'host', value: 'web01.corp.example.com', nameKey: 'host:web01' });
    expect(aliasKey('WEB01')).toEqual({ kind: 'host', value: 'web01', nameKey: 'host:web01' });
    expect(aliasKey('10.0.4.17')).toEqual({ kind: 'ip', value: '10.0.4.17', nameKey: 'ip:10.0.4.17' });
    expect(aliasKey('2001:DB8::1')).toEqual({ kind: 'ip', value: '2001:db8::1', nameKey: 'ip:2001:db8::1' });
    expect(aliasKey('ip:10.0.4.17')?.kind).toBe('ip');
    expect(aliasKey('  ')).toBeNull();
  });

  it('normalises image references with and without tag or digest, with Docker Hub defaults', () => {
    expect(imageParts('nginx')).toEqual({ repository: 'docker.io/library/nginx', full: 'docker.io/library/nginx' });
    expect(imageParts('nginx:1.25')).toEqual({ repository: 'docker.io/library/nginx', full: 'docker.io/library/nginx:1.25' });
    expect(imageParts('Registry.example.com:5000/Team/App:1.2@sha256:ABC')).toEqual({
      repository: 'registry.example.com:5000/team/app',
      full: 'registry.example.com:5000/team/app:1.2@sha256:abc',
    });
    expect(imageParts('index.docker.io/acme/app').repository).toBe('docker.io/acme/app');
    expect(imageParts('teamdojo:latest (alpine 3.9.4)').full).toBe('docker.io/library/teamdojo:latest');
    expect(aliasKey('acme/app:2')).toEqual({ kind: 'image', value: 'docker.io/acme/app:2', nameKey: 'image:docker.io/acme/app' });
    expect(aliasKey('image:nginx')).toEqual({ kind: 'image', value: 'docker.io/library/nginx', nameKey: 'image:docker.io/library/nginx' });
  });

  it('normalises repository URLs without scheme, user or .git', () => {
    const want = { kind: 'repo', value: 'github.com/acme/app', nameKey: 'repo:github.com/acme/app' };
    expect(aliasKey('https://GitHub.com/Acme/App.git/')).toEqual(want);
    expect(aliasKey('git@github.com:acme/app.git')).toEqual(want);
    expect(aliasKey('repo:github.com/acme/app')).toEqual(want);
  });

  it('keeps cloud instance ids and scanner target ids verbatim', () => {
    expect(aliasKey('i-0abc1234def567890')).toEqual({ kind: 'instance', value: 'i-0abc1234def567890', nameKey: null });
    expect(aliasKey('manifest:./configuration/.m2/pom.xml')).toEqual({ kind: 'target', value: 'manifest:./configuration/.m2/pom.xml', nameKey: null });
  });

  it("looks a report's target up by its name as the report wrote it, then by its id", () => {
    const t = { id: 'image:teamdojo', name: 'teamdojo:latest', target_type: 'container_image' };
    expect(targetKeys(t).map((k) => `${k.kind}:${k.value}`)).toEqual(['image:docker.io/library/teamdojo:latest', 'image:docker.io/library/teamdojo']);
    expect(targetNameKeys(t)).toEqual(['image:docker.io/library/teamdojo']);
    expect(targetKeys({ id: 'host:Web01.corp.example.com', name: 'Web01.corp.example.com', target_type: 'host' })[0]).toEqual({ kind: 'host', value: 'web01.corp.example.com', nameKey: 'host:web01' });
  });

  it('matches in memory by id, then alias, then a name only one asset has', () => {
    const index = new AliasIndex();
    index.add('payments-api', ['docker.io/acme/payments', 'payments.corp.example.com']);
    index.add('web01', ['web01.corp.example.com']);
    index.add('web01-dr', ['web01.dr.example.com']);
    expect(index.match({ id: 'payments-api', name: null, target_type: null })).toBe('payments-api');
    expect(index.match({ id: 'image:acme/payments', name: 'acme/payments:2.4.1', target_type: 'container_image' })).toBe('payments-api');
    expect(index.match({ id: 'PAYMENTS.corp.example.com.', name: null, target_type: null })).toBe('payments-api');
    // two assets share the short name web01: no guess
    expect(index.match({ id: 'web01.other.example.com', name: null, target_type: null })).toBeNull();
    expect(index.match({ id: 'payments', name: null, target_type: null })).toBe('payments-api');
    expect(index.match({ id: 'image:unknown/app', name: 'unknown/app:1', target_type: 'container_image' })).toBeNull();
  });

  it("matches a network host by any name the scanner gave it (FQDN, NetBIOS name, IP address)", () => {
    const index = new AliasIndex();
    index.add('edge-proxy', ['ip:203.0.113.7']);
    index.add('hr-db', ['HRDB01']);
    const scanned = { id: 'host:edge01.example.com', name: 'edge01.example.com', target_type: 'host', also: ['203.0.113.7', 'EDGE01'] };
    expect(targetKeys(scanned).map((k) => `${k.kind}:${k.value}`)).toEqual(['host:edge01.example.com', 'ip:203.0.113.7', 'host:edge01']);
    expect(index.match(scanned)).toBe('edge-proxy');
    expect(index.match({ id: 'host:10.1.1.9', name: '10.1.1.9', target_type: 'host', also: ['hrdb01'] })).toBe('hr-db');
    expect(index.match({ id: 'host:10.1.1.10', name: '10.1.1.10', target_type: 'host', also: [] })).toBeNull();
  });
});
