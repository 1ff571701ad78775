import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signing of checkpoints and evidence manifests. A key pair is PEM (PKCS#8 private, SPKI
 * public); a key's id is the first 16 hex digits of the SHA-256 of its raw 32-byte public key, so a
 * signature names the key it needs. Pure apart from node:crypto: an evidence bundle is verified
 * offline with this file and merkle.ts.
 */

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateSigningKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The raw 32 bytes of an Ed25519 public key. */
function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

/** A private key to sign with, and what a verifier needs to know of it. */
export interface Signer {
  keyId: string;
  publicKeyPem: string;
  sign(message: Buffer | string): string;
}

/** Reads a PEM private key; throws a plain Error whose message says what is wrong with the text. */
export function signerFromPem(privateKeyPem: string): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new Error('not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, this one is ${key.asymmetricKeyType ?? 'unknown'}`);
  const pub = createPublicKey(key);
  return {
    keyId: keyIdOf(pub),
    publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, Buffer.from(message), key).toString('base64'),
  };
}

/** Reads a PEM public key (an SPKI Ed25519 key); throws a plain Error naming what is wrong. */
export function publicKeyFromPem(publicKeyPem: string): { keyId: string; key: KeyObject } {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    throw new Error('not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, this one is ${key.asymmetricKeyType ?? 'unknown'}`);
  return { keyId: keyIdOf(key), key };
}

export function verifySignature(publicKey: KeyObject, message: Buffer | string, signatureBase64: string): boolean {
  const sig = Buffer.from(signatureBase64, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, Buffer.from(message), publicKey, sig);
  } catch {
    return false;
  }
}

/** What a checkpoint says: the log's size and root at a time, signed by a key. */
export interface CheckpointClaim {
  treeSize: number;
  /** Hex SHA-256 of the tree of the first treeSize events. */
  rootHash: string;
  at: string;
}

/**
 * The exact bytes a checkpoint signature covers: a text note in the spirit of the transparency-log
 * checkpoint format (origin line, size, root in base64), plus the time.
 */
export function checkpointMessage(c: CheckpointClaim): string {
  return `closeloop audit log\n${c.treeSize}\n${Buffer.from(c.rootHash, 'hex').toString('base64')}\n${c.at}\n`;
}
