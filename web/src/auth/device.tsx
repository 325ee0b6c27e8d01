import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call, messageOf } from '../api/client';
import { Notice } from '../ui/feedback';
import { FormError, SelectField, TextField, useSubmit } from '../ui/forms';
import { PublicPage } from './public-page';
import { RequireSession } from './require-session';
import type { Session } from './session';

// /device: the browser half of `funcspec auth login --web`. The page says which client asked, from
// which address and when, before the person approves; opening it approves nothing.

interface PendingLogin {
  client_name: string;
  requested_ip: string | null;
  requested_at: string;
}

function normalized(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export function DevicePage() {
  return <RequireSession>{(session) => <DeviceApproval session={session} />}</RequireSession>;
}

function DeviceApproval({ session }: { session: Session }) {
  const [params] = useSearchParams();
  const [code, setCode] = useState(params.get('user_code') ?? '');
  const [organization, setOrganization] = useState(session.memberships[0]?.organization.id ?? '');
  const [pending, setPending] = useState<PendingLogin | null>(null);
  const [inspectError, setInspectError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const whole = normalized(code);

  // Once a whole code is typed, say what asked for it, so a code from someone else's message stands out.
  useEffect(() => {
    setPending(null);
    setInspectError(null);
    if (whole.length !== 8) return;
    let current = true;
    call(api.POST('/api/v1/auth/device/inspect', { body: { user_code: whole } })).then(
      (answer) => current && setPending(answer.data),
      (error) => current && setInspectError(messageOf(error)),
    );
    return () => {
      current = false;
    };
  }, [whole]);

  const approve = useSubmit(
    () => call(api.POST('/api/v1/auth/device/approve', { body: { user_code: whole, organization_id: organization } })),
    (answer) => setOutcome(`Approved: "${answer.data.client_name}" gets a key in ${answer.data.organization.name}. You can close this page.`),
  );
  const deny = useSubmit(
    () => call(api.POST('/api/v1/auth/device/deny', { body: { user_code: whole } })),
    () => setOutcome('Denied: the CLI gets no key.'),
  );

  if (outcome) {
    return (
      <PublicPage title="Connect the FuncSpec CLI">
        <Notice kind="success" live>
          {outcome}
        </Notice>
      </PublicPage>
    );
  }
  if (session.memberships.length === 0) {
    return (
      <PublicPage title="Connect the FuncSpec CLI">
        <Notice kind="warning">You are not a member of any organization yet, so there is nothing the CLI could act in.</Notice>
      </PublicPage>
    );
  }
  return (
    <PublicPage title="Connect the FuncSpec CLI">
      <p>
        Signed in as <strong>{session.user.email}</strong>. Approve only if you started <code>funcspec auth login</code> yourself and the code matches the one
        it shows.
      </p>
      <form onSubmit={approve.run} noValidate>
        <TextField
          label="Code"
          autoComplete="off"
          spellCheck={false}
          maxLength={32}
          placeholder="XXXX-XXXX"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={inspectError ?? undefined}
          hint="The 8-letter code the CLI printed."
        />
        <div aria-live="polite" className="request-facts">
          {pending ? (
            <dl className="facts card-inset">
              <dt>Client</dt>
              <dd>{pending.client_name}</dd>
              <dt>Address</dt>
              <dd>{pending.requested_ip ?? 'unknown'}</dd>
              <dt>Requested</dt>
              <dd>
                <time dateTime={pending.requested_at}>{new Date(pending.requested_at).toLocaleString()}</time>
              </dd>
            </dl>
          ) : null}
        </div>
        <SelectField
          label="Organization"
          hint="The CLI's key will act in this organization, with your role."
          value={organization}
          onChange={(e) => setOrganization(e.target.value)}
          options={session.memberships.map((m) => ({ value: m.organization.id, label: `${m.organization.name} (${m.organization.slug})` }))}
        />
        <FormError message={approve.formError ?? deny.formError} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={approve.busy || !pending}>
            Approve
          </button>
          <button type="button" className="btn btn-danger" disabled={deny.busy || !pending} onClick={() => void deny.run()}>
            Deny
          </button>
        </div>
      </form>
    </PublicPage>
  );
}
