import { describe, expect, it } from 'vitest';
import { exposureFromAddress, provisionalAsset } from '../../src/app/provisional-assets.js';

/** A network scanner's view of a host sets a provisional asset's exposure (docs/importing.md, "Provisional assets"). */
describe('provisional assets', () => {
  it('reads exposure from the kind of address', () => {
    expect(exposureFromAddress('12.233.108.201')?.exposure).toBe('internet');
    expect(exposureFromAddress('2a00:1450:4001:82a::200e')?.exposure).toBe('internet');
    for (const ip of ['10.0.0.5', '172.16.4.1', '192.168.1.20', '100.64.3.3', '127.0.0.1', '169.254.1.1', 'fd12:3456::1', 'fe80::1']) {
      expect(exposureFromAddress(ip)?.exposure, ip).toBe('internal');
    }
    // documentation, multicast, unspecified: no conclusion
    for (const ip of ['192.0.2.10', '224.0.0.1', '0.0.0.0', '2001:db8::1']) expect(exposureFromAddress(ip), ip).toBeNull();
    for (const bad of [null, '', 'web01', '999.1.1.1']) expect(exposureFromAddress(bad), String(bad)).toBeNull();
    // an IPv4-mapped IPv6 address is read as the IPv4 one
    expect(exposureFromAddress('::ffff:10.0.0.5')).toEqual({ exposure: 'internal', basis: 'address 10.0.0.5 is not routable from the internet (private)' });
  });

  it('keeps the host facts and the reason; without an address the exposure stays unknown', () => {
    const withIp = provisionalAsset({
      id: 'host:edge01.example.com',
      name: 'edge01.example.com',
      components: [],
      target_type: 'host',
      host: { ip: '12.233.108.201', fqdn: 'edge01.example.com', netbios: null, os: 'Linux Kernel 5.4', scanner: 'nessus scanner-1' },
    });
    expect(withIp.not_in_inventory).toBe(true);
    expect(withIp.owner).toBeNull();
    expect(withIp.exposure).toBe('internet');
    expect(withIp.extra).toEqual({
      target_type: 'host',
      host: { ip: '12.233.108.201', fqdn: 'edge01.example.com', os: 'Linux Kernel 5.4', scanner: 'nessus scanner-1' },
      exposure_basis: 'address 12.233.108.201 is globally routable',
    });
    const noIp = provisionalAsset({ id: 'image:acme/app', name: 'acme/app:1', components: [], target_type: 'container_image' });
    expect(noIp.exposure).toBe('unknown');
    expect(noIp.extra).toEqual({ target_type: 'container_image' });
  });
});
