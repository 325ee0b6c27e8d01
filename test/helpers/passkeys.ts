import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// A software authenticator written with node:crypto only (ES256 keys, a hand-written minimal CBOR
// encoder), so the tests make real WebAuthn responses without trusting the server's own library to
// build them. It answers the options the server hands out, as a browser with a passkey would.

type Cbor = number | string | Buffer | Cbor[] | Map<number | string, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(n, 1);
  return out;
}

/** RFC 8949 encoding of the few types WebAuthn needs (maps keep their insertion order). */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value, 'utf8')]);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: Array<{ id: string }>;
}

export interface AnswerOptions {
  /** The page's origin as the browser reports it (default: the authenticator's origin). */
  origin?: string;
  /** User verification done (PIN, biometrics); default true. */
  userVerified?: boolean;
  /** Which credential answers (default: the newest one for the RP, or the one allowed). */
  credential?: SoftCredential;
  /** Whether the authenticator keeps a counter (default: yes, counting up from 1). */
  counting?: boolean;
}

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<number, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(readonly origin: string) {}

  private rpIdOf(id: string | undefined): string {
    return id ?? new URL(this.origin).hostname;
  }

  /** Answers registration options (navigator.credentials.create) with a new resident ES256 credential. */
  register(options: CreationOptions, answer: AnswerOptions = {}) {
    const rpId = this.rpIdOf(options.rp.id);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential: SoftCredential = { id: randomBytes(32), privateKey, publicKey, rpId, userHandle: options.user.id, counter: 0 };
    const flags = FLAG_UP | (answer.userVerified === false ? 0 : FLAG_UV) | FLAG_BE | FLAG_BS | FLAG_AT;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), Buffer.alloc(4), Buffer.alloc(16), idLength, credential.id, coseKey(publicKey)]);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    this.credentials.push(credential);
    return {
      credential,
      response: {
        id: b64url(credential.id),
        rawId: b64url(credential.id),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge, answer.origin ?? this.origin)),
          attestationObject: b64url(attestationObject),
          transports: ['internal', 'hybrid'],
        },
        authenticatorAttachment: 'platform' as const,
        clientExtensionResults: {},
      },
    };
  }

  /** Answers request options (navigator.credentials.get) with an ES256 assertion. */
  assert(options: RequestOptions, answer: AnswerOptions = {}) {
    const rpId = this.rpIdOf(options.rpId);
    const allowed = options.allowCredentials?.map((c) => c.id) ?? [];
    const credential =
      answer.credential ?? [...this.credentials].reverse().find((c) => c.rpId === rpId && (allowed.length === 0 || allowed.includes(b64url(c.id))));
    if (!credential) throw new Error('no credential for this relying party');
    if (answer.counting !== false) credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(answer.counting === false ? 0 : credential.counter);
    const flags = FLAG_UP | (answer.userVerified === false ? 0 : FLAG_UV) | FLAG_BE | FLAG_BS;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counter]);
    const data = clientData('webauthn.get', options.challenge, answer.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey); // DER, as ES256 wants
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(data),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    };
  }

  /** A second authenticator holding a copy of `credential` (key and counter as they are now): a clone. */
  cloneOf(credential: SoftCredential): SoftAuthenticator {
    const copy = new SoftAuthenticator(this.origin);
    copy.credentials.push({ ...credential });
    return copy;
  }
}
