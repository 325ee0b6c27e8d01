import { TableFrame } from '../ui/table-frame';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { refreshSession, type Role } from '../auth/session';
import { atLeast, useSignedIn } from '../shell/context';
import { usePageTitle } from '../ui/brand';
import { ConfirmDialog, Dialog } from '../ui/dialog';
import { EmptyState, LoadError, Loading, Notice } from '../ui/feedback';
import { FormError, SelectField, TextField, useRowAction, useSubmit } from '../ui/forms';
import { formatDate } from '../ui/format';
import { useOrgSettings } from './settings-layout';

const ROLE_OPTIONS = [
  { value: 'member', label: 'Member' },
  { value: 'admin', label: 'Admin' },
  { value: 'owner', label: 'Owner' },
];

type Member = { user: { id: string; email: string; name: string | null }; role: Role; created_at: string };

export function MembersPage() {
  usePageTitle('Members');
  const { membership, slug } = useOrgSettings();
  const session = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [transferring, setTransferring] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const isAdmin = atLeast(membership.role, 'admin');
  const members = useQuery({
    queryKey: ['members', slug],
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/members', { params: { path: { org: slug }, query: { per: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['members', slug] });
  const rowAction = useRowAction(refresh);

  const remove = useSubmit(
    () => call(api.DELETE('/api/v1/organizations/{org}/members/{user_id}', { params: { path: { org: slug, user_id: removing!.user.id } } })),
    async () => {
      const self = removing?.user.id === session.user.id;
      setRemoving(null);
      if (self) {
        await refreshSession(queryClient);
        navigate('/dashboard', { replace: true });
      } else {
        setNotice('The member was removed; their API keys in this organization are revoked.');
        await refresh();
      }
    },
  );

  return (
    <>
      <div className="card">
        <div className="card-header">
          <div>
            <h2>Members</h2>
            <p className="muted small">Owners can do everything; admins manage members, keys and settings; members use projects they are on.</p>
          </div>
          <div className="row">
            {membership.role === 'owner' ? (
              <button type="button" className="btn" onClick={() => setTransferring(true)}>
                Transfer ownership
              </button>
            ) : null}
            {isAdmin ? (
              <button type="button" className="btn btn-primary" onClick={() => setInviting(true)}>
                Invite
              </button>
            ) : null}
          </div>
        </div>
        {notice ? (
          <Notice kind="success" live>
            {notice}
          </Notice>
        ) : null}
        <FormError message={rowAction.error} />
        {members.isPending ? (
          <Loading />
        ) : members.isError ? (
          <LoadError error={members.error} />
        ) : (
          <TableFrame label="Members">
            <table>
              <caption className="sr-only">Members of {membership.organization.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.data.map((m) => {
                  const self = m.user.id === session.user.id;
                  const canChange = isAdmin && !self && (membership.role === 'owner' || m.role !== 'owner');
                  return (
                    <tr key={m.user.id}>
                      <td>
                        <div>{m.user.name ?? m.user.email}</div>
                        {m.user.name ? <div className="small muted">{m.user.email}</div> : null}
                        {self ? <span className="badge">You</span> : null}
                      </td>
                      <td>
                        {canChange ? (
                          <select aria-label={`Role of ${m.user.email}`} value={m.role} onChange={(e) => void roleChange(m, e.target.value as Role)}>
                            {ROLE_OPTIONS.filter((o) => membership.role === 'owner' || o.value !== 'owner').map((o) => (
                              <option key={o.value} value={o.value}>
                                {o.label}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <span className="badge">{m.role}</span>
                        )}
                      </td>
                      <td>{formatDate(m.created_at)}</td>
                      <td>
                        {self ? (
                          <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(m)}>
                            Leave
                          </button>
                        ) : canChange ? (
                          <button type="button" className="btn btn-small btn-danger" aria-label={`Remove ${m.user.email}`} onClick={() => setRemoving(m)}>
                            Remove
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableFrame>
        )}
      </div>
      {isAdmin ? <Invitations slug={slug} /> : null}
      {inviting ? <InviteDialog slug={slug} onClose={() => setInviting(false)} /> : null}
      {transferring && members.data ? (
        <TransferOwnership
          slug={slug}
          members={members.data.data.filter((m) => m.user.id !== session.user.id && m.role !== 'owner')}
          onClose={() => setTransferring(false)}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={removing.user.id === session.user.id ? `Leave ${membership.organization.name}?` : `Remove ${removing.user.email}?`}
          description={
            removing.user.id === session.user.id
              ? 'You lose access to its projects, and your API keys in it stop working.'
              : 'They lose access to its projects, and their API keys in it stop working at once.'
          }
          confirmLabel={removing.user.id === session.user.id ? 'Leave' : 'Remove'}
          danger
          busy={remove.busy}
          error={remove.formError}
          onConfirm={() => void remove.run()}
          onClose={() => setRemoving(null)}
        />
      ) : null}
    </>
  );

  function roleChange(member: Member, role: Role) {
    setNotice(null);
    return rowAction.run(
      () => call(api.PATCH('/api/v1/organizations/{org}/members/{user_id}', { params: { path: { org: slug, user_id: member.user.id } }, body: { role } })),
      () => setNotice(`${member.user.email} is now ${role}.`),
    );
  }
}

type Invitation = { id: string; email: string; role: string; created_at: string; expires_at: string };

function Invitations({ slug }: { slug: string }) {
  const queryClient = useQueryClient();
  const [canceling, setCanceling] = useState<Invitation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const invitations = useQuery({
    queryKey: ['invitations', slug],
    queryFn: () => call(api.GET('/api/v1/organizations/{org}/invitations', { params: { path: { org: slug }, query: { per: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['invitations', slug] });
  const rowAction = useRowAction(refresh);
  const cancel = useSubmit(
    () => call(api.DELETE('/api/v1/organizations/{org}/invitations/{id}', { params: { path: { org: slug, id: canceling!.id } } })),
    async () => {
      setNotice(`The invitation to ${canceling!.email} is cancelled; its link no longer works.`);
      setCanceling(null);
      await refresh();
    },
  );
  // Inviting an address again replaces its open invitation: a fresh link is mailed and the old one dies.
  function resend(invitation: Invitation) {
    setNotice(null);
    return rowAction.run(
      () =>
        call(
          api.POST('/api/v1/organizations/{org}/invitations', {
            params: { path: { org: slug } },
            body: { email: invitation.email, role: invitation.role as 'admin' | 'member' },
          }),
        ),
      () => setNotice(`A new invitation link is on its way to ${invitation.email}.`),
    );
  }
  return (
    <div className="card">
      <h2>Pending invitations</h2>
      {notice ? (
        <Notice kind="success" live>
          {notice}
        </Notice>
      ) : null}
      <FormError message={rowAction.error} />
      {invitations.isPending ? (
        <Loading />
      ) : invitations.isError ? (
        <LoadError error={invitations.error} />
      ) : invitations.data.data.length === 0 ? (
        <EmptyState title="No pending invitations">Invite people with the Invite button; they get a link by e-mail that works for 7 days.</EmptyState>
      ) : (
        <TableFrame label="Pending invitations">
          <table>
            <caption className="sr-only">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Sent</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.data.data.map((invitation) => (
                <tr key={invitation.id}>
                  <td>{invitation.email}</td>
                  <td>{invitation.role}</td>
                  <td>{formatDate(invitation.created_at)}</td>
                  <td>{formatDate(invitation.expires_at)}</td>
                  <td>
                    <div className="row">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Resend the invitation to ${invitation.email}`}
                        onClick={() => void resend(invitation)}
                      >
                        Resend
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        aria-label={`Cancel the invitation to ${invitation.email}`}
                        onClick={() => setCanceling(invitation)}
                      >
                        Cancel
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
      {canceling ? (
        <ConfirmDialog
          title={`Cancel the invitation to ${canceling.email}?`}
          description="The link in their e-mail stops working."
          confirmLabel="Cancel invitation"
          danger
          busy={cancel.busy}
          error={cancel.formError}
          onConfirm={() => void cancel.run()}
          onClose={() => setCanceling(null)}
        />
      ) : null}
    </div>
  );
}

function InviteDialog({ slug, onClose }: { slug: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const invite = useSubmit(
    () => call(api.POST('/api/v1/organizations/{org}/invitations', { params: { path: { org: slug } }, body: { email, role } })),
    async () => {
      await queryClient.invalidateQueries({ queryKey: ['invitations', slug] });
      onClose();
    },
    { ALREADY_MEMBER: 'email' },
  );
  return (
    <Dialog title="Invite a member" description="They get an e-mail with a link that works once, for 7 days." onClose={onClose}>
      <form onSubmit={invite.run} noValidate>
        <TextField label="Email" type="email" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} error={invite.fieldError('email')} />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as 'member' | 'admin')}
          options={ROLE_OPTIONS.filter((o) => o.value !== 'owner')}
          error={invite.fieldError('role')}
        />
        <FormError message={invite.formError} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={invite.busy}>
            Send invitation
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function TransferOwnership({ slug, members, onClose }: { slug: string; members: Member[]; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState(members[0]?.user.id ?? '');
  const transfer = useSubmit(
    () => call(api.POST('/api/v1/organizations/{org}/transfer-ownership', { params: { path: { org: slug } }, body: { user_id: userId } })),
    async () => {
      await refreshSession(queryClient);
      await queryClient.invalidateQueries({ queryKey: ['members', slug] });
      onClose();
    },
  );
  return (
    <Dialog title="Transfer ownership" description="The member you pick becomes an owner, and you become an admin." onClose={onClose}>
      {members.length === 0 ? (
        <p>There is nobody to transfer to yet: invite someone first.</p>
      ) : (
        <form onSubmit={transfer.run} noValidate>
          <SelectField
            label="New owner"
            value={userId}
            onChange={(e) => setUserId(e.target.value)}
            options={members.map((m) => ({ value: m.user.id, label: m.user.name ? `${m.user.name} (${m.user.email})` : m.user.email }))}
          />
          <FormError message={transfer.formError} />
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-danger btn-solid" disabled={transfer.busy}>
              Transfer ownership
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
