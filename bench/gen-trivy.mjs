#!/usr/bin/env node
/**
 * Generates a deterministic Trivy JSON report (SchemaVersion 2 layout, pretty-printed the way
 * `trivy image -f json` writes it) for throughput tests of the streaming importers.
 *
 *   node bench/gen-trivy.mjs --findings 100000 --assets 50 --out /tmp/trivy-100k.json [--seed 1]
 *
 * `--assets` is the number of `Results[]` targets (OS packages, lockfiles, …); findings are spread
 * over them round-robin. The output is streamed to the file with back-pressure, so the generator
 * never holds the report. Same arguments → same bytes.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';

function args(argv) {
  const out = { findings: 100000, assets: 20, out: 'trivy-bench.json', seed: 1 };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i]?.replace(/^--/, '');
    const v = argv[i + 1];
    if (k === undefined || v === undefined || !(k in out)) {
      console.error('usage: gen-trivy.mjs --findings N --assets M --out FILE [--seed S]');
      process.exit(2);
    }
    out[k] = k === 'out' ? v : Number(v);
  }
  return out;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'buffer overflow in the parser allows remote attackers to execute arbitrary code via a crafted ' +
  'request use after free denial of service heap out of bounds read write integer underflow when ' +
  'handling malformed input certificate validation bypass path traversal injection in the handler'
).split(' ');
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
const TYPES = [
  { type: 'alpine', cls: 'os-pkgs', target: (i) => `registry.example.com/app-${i}:1.${i % 10}.0 (alpine 3.17.2)` },
  { type: 'npm', cls: 'lang-pkgs', target: (i) => `srv/app-${i}/package-lock.json` },
  { type: 'pip', cls: 'lang-pkgs', target: (i) => `srv/app-${i}/requirements.txt` },
  { type: 'jar', cls: 'lang-pkgs', target: (i) => `opt/app-${i}/lib/app.jar` },
];

function sentence(r, n) {
  const w = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(r() * WORDS.length)]);
  return w.join(' ');
}

function vuln(r, n) {
  const year = 2015 + Math.floor(r() * 10);
  const id = `CVE-${year}-${10000 + Math.floor(r() * 89999)}`;
  const pkg = `pkg-${Math.floor(r() * 5000)}`;
  const major = Math.floor(r() * 5);
  const minor = Math.floor(r() * 20);
  const sev = SEVERITIES[Math.floor(r() * SEVERITIES.length)];
  const score = Math.round(r() * 100) / 10;
  const hasFix = r() < 0.7;
  const v = {
    VulnerabilityID: id,
    PkgID: `${pkg}@${major}.${minor}.${n % 7}`,
    PkgName: pkg,
    InstalledVersion: `${major}.${minor}.${n % 7}`,
    ...(hasFix ? { FixedVersion: `${major}.${minor + 1}.0` } : {}),
    Status: hasFix ? 'fixed' : 'affected',
    Layer: { DiffID: `sha256:${(n * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8)}` },
    SeveritySource: 'nvd',
    PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
    DataSource: { ID: 'alpine', Name: 'Alpine Secdb', URL: 'https://secdb.alpinelinux.org/' },
    Title: `${pkg}: ${sentence(r, 6)}`,
    Description: `${sentence(r, 40)} (finding ${n}) — "quoted" \\ back\\slash é`,
    Severity: sev,
    CweIDs: [`CWE-${20 + Math.floor(r() * 900)}`],
    VendorSeverity: { nvd: 1 + Math.floor(r() * 4), redhat: 1 + Math.floor(r() * 4) },
    CVSS: {
      nvd: {
        V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        V3Score: score,
      },
    },
    References: [
      `https://nvd.nist.gov/vuln/detail/${id}`,
      `https://github.com/advisories?query=${id}`,
      `https://security.example.org/${pkg}/${n}`,
    ],
    PublishedDate: `${year}-0${1 + (n % 9)}-1${n % 10}T12:00:00Z`,
    LastModifiedDate: '2024-01-02T03:04:05Z',
  };
  return v;
}

/** Indents a JSON.stringify(…, null, 2) block by `pad` spaces (all lines but the first). */
const indent = (text, pad) => text.replace(/\n/g, `\n${' '.repeat(pad)}`);

async function main() {
  const { findings, assets, out, seed } = args(process.argv);
  if (!(findings >= 0) || !(assets >= 1)) throw new Error('findings must be >= 0 and assets >= 1');
  const r = rng(seed);
  const ws = createWriteStream(out);
  let pending = '';
  const write = async (s) => {
    pending += s;
    if (pending.length < 1 << 20) return;
    const ok = ws.write(pending);
    pending = '';
    if (!ok) await once(ws, 'drain');
  };

  await write('{\n  "SchemaVersion": 2,\n');
  await write(`  "CreatedAt": "2024-05-01T10:00:00.000000000Z",\n  "ArtifactName": "bench-${seed}",\n`);
  await write('  "ArtifactType": "container_image",\n');
  await write('  "Metadata": {\n    "OS": {\n      "Family": "alpine",\n      "Name": "3.17.2"\n    },\n');
  await write('    "ImageConfig": {\n      "architecture": "amd64",\n      "os": "linux"\n    }\n  },\n');
  await write('  "Results": [');
  const base = Math.floor(findings / assets);
  const extra = findings % assets;
  let n = 0;
  for (let a = 0; a < assets; a++) {
    const t = TYPES[a % TYPES.length];
    const count = base + (a < extra ? 1 : 0);
    await write(`${a === 0 ? '' : ','}\n    {\n      "Target": ${JSON.stringify(t.target(a))},\n`);
    await write(`      "Class": "${t.cls}",\n      "Type": "${t.type}",\n      "Vulnerabilities": [`);
    for (let k = 0; k < count; k++) {
      const text = JSON.stringify(vuln(r, n++), null, 2);
      await write(`${k === 0 ? '' : ','}\n        ${indent(text, 8)}`);
    }
    await write(count === 0 ? ']\n    }' : '\n      ]\n    }');
  }
  await write('\n  ]\n}\n');
  ws.write(pending);
  ws.end();
  await once(ws, 'finish');
}

// Run as a script; imported (for `rng`) it does nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
