import { z } from 'zod';

// The WebAuthn JSON shapes the browser sends and receives (as @simplewebauthn/browser writes them), checked
// for shape and size here; what they prove is checked by the service.

const base64url = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const Transports = z.array(z.string().max(32)).max(10);
const ExtensionResults = z.record(z.string(), z.unknown()).default({});
const Attachment = z.enum(['platform', 'cross-platform']).optional();

export const AuthenticationResponse = z
  .object({
    id: base64url(1024),
    rawId: base64url(1024),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: base64url(8192),
      authenticatorData: base64url(8192),
      signature: base64url(2048),
      userHandle: base64url(128)
        .nullish()
        .transform((value) => value ?? undefined),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ExtensionResults,
  })
  .meta({ description: "The assertion as JSON: what `startAuthentication()` of @simplewebauthn/browser returns (a PublicKeyCredential's toJSON())" });

export const RegistrationResponse = z
  .object({
    id: base64url(1024),
    rawId: base64url(1024),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: base64url(8192),
      attestationObject: base64url(65536),
      authenticatorData: base64url(65536).optional(),
      transports: Transports.optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(8192).optional(),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: ExtensionResults,
  })
  .meta({ description: "The new credential as JSON: what `startRegistration()` of @simplewebauthn/browser returns (a PublicKeyCredential's toJSON())" });

const CredentialDescriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() });
const Hints = z.array(z.string()).optional();

export const CreationOptions = z
  .object({
    challenge: z.string(),
    rp: z.object({ name: z.string(), id: z.string().optional() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number() })),
    timeout: z.number().optional(),
    excludeCredentials: z.array(CredentialDescriptor).optional(),
    authenticatorSelection: z
      .object({
        authenticatorAttachment: z.string().optional(),
        residentKey: z.string().optional(),
        requireResidentKey: z.boolean().optional(),
        userVerification: z.string().optional(),
      })
      .optional(),
    attestation: z.string().optional(),
    extensions: z.object({ credProps: z.boolean().optional() }).optional(),
    hints: Hints,
  })
  .meta({ description: 'PublicKeyCredentialCreationOptionsJSON: pass it to `startRegistration({ optionsJSON })` of @simplewebauthn/browser' });

export const RequestOptions = z
  .object({
    challenge: z.string(),
    timeout: z.number().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(CredentialDescriptor).optional(),
    userVerification: z.string().optional(),
    hints: Hints,
  })
  .meta({ description: 'PublicKeyCredentialRequestOptionsJSON: pass it to `startAuthentication({ optionsJSON })` of @simplewebauthn/browser' });
