import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { ApiProblem } from '../api/client';
import { describeProblem } from '../api/errors';

// The browser's half of a passkey ceremony: the options come from the API, the answer goes back to it.
// A person who cancels (or lets the prompt time out) gets a sentence, not a stack trace.

function browserProblem(error: unknown): ApiProblem {
  const name = error instanceof Error ? error.name : '';
  const code = name === 'NotAllowedError' || name === 'AbortError' ? 'PASSKEY_CANCELLED' : 'PASSKEY_UNSUPPORTED';
  return new ApiProblem(0, code, describeProblem(code, {}), {}, null);
}

export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** The browser's JSON with its extension results as the plain record the API's schema declares. */
type AsSent<T extends { clientExtensionResults: object }> = Omit<T, 'clientExtensionResults'> & { clientExtensionResults: Record<string, unknown> };

function asSent<T extends { clientExtensionResults: object }>(response: T): AsSent<T> {
  return { ...response, clientExtensionResults: { ...response.clientExtensionResults } as Record<string, unknown> };
}

export async function createPasskey(options: unknown): Promise<AsSent<RegistrationResponseJSON>> {
  try {
    return asSent(await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON }));
  } catch (error) {
    throw browserProblem(error);
  }
}

export async function askPasskey(options: unknown): Promise<AsSent<AuthenticationResponseJSON>> {
  try {
    return asSent(await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON }));
  } catch (error) {
    throw browserProblem(error);
  }
}
