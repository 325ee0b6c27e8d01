import type { ComponentType } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { SignInPage } from './auth/sign-in';
import { useSession } from './auth/session';
import { LoadError, Loading } from './ui/feedback';

// The sign-in page is in the first bundle; every other page is its own chunk, loaded when visited.
function page<M>(load: () => Promise<M>, pick: (module: M) => ComponentType) {
  return async () => ({ Component: pick(await load()) });
}

/** While the first page's chunk loads (a deep link), the same loading state as everywhere. */
const HydrateFallback = () => <Loading />;

/** `/`: the sign-in page to a visitor, the person's dashboard once signed in. */
function Home() {
  const session = useSession();
  if (session.isPending) return <Loading />;
  if (session.isError) return <LoadError error={session.error} />;
  if (!session.data) return <SignInPage />;
  return <Navigate to="/dashboard" replace />;
}

export const router = createBrowserRouter([
  { path: '/', Component: Home },
  { path: '/sign-in', Component: SignInPage },
  {
    path: '/sign-up',
    HydrateFallback,
    lazy: page(
      () => import('./auth/sign-up'),
      (m) => m.SignUpPage,
    ),
  },
  {
    path: '/verify-email',
    HydrateFallback,
    lazy: page(
      () => import('./auth/mailed-links'),
      (m) => m.VerifyEmailPage,
    ),
  },
  {
    path: '/reset-password',
    HydrateFallback,
    lazy: page(
      () => import('./auth/mailed-links'),
      (m) => m.ResetPasswordPage,
    ),
  },
  {
    path: '/device',
    HydrateFallback,
    lazy: page(
      () => import('./auth/device'),
      (m) => m.DevicePage,
    ),
  },
  {
    path: '/invitations/accept',
    HydrateFallback,
    lazy: page(
      () => import('./auth/invitation'),
      (m) => m.AcceptInvitationPage,
    ),
  },
  {
    HydrateFallback,
    lazy: page(
      () => import('./shell/signed-in'),
      (m) => m.SignedInLayout,
    ),
    children: [
      {
        path: '/account',
        HydrateFallback,
        lazy: page(
          () => import('./account/settings'),
          (m) => m.AccountSettingsPage,
        ),
      },
      {
        path: '/dashboard',
        HydrateFallback,
        lazy: page(
          () => import('./orgs/dashboard'),
          (m) => m.DashboardPage,
        ),
      },
      {
        path: '/projects/:project',
        HydrateFallback,
        lazy: page(
          () => import('./projects/project-page'),
          (m) => m.ProjectPage,
        ),
      },
      {
        path: '/projects/:project/settings',
        HydrateFallback,
        lazy: page(
          () => import('./projects/settings'),
          (m) => m.ProjectSettingsPage,
        ),
      },
      {
        path: '/projects/:project/items/new',
        HydrateFallback,
        lazy: page(
          () => import('./projects/item-page'),
          (m) => m.NewItemPage,
        ),
      },
      {
        path: '/projects/:project/items/:item',
        HydrateFallback,
        lazy: page(
          () => import('./projects/item-page'),
          (m) => m.ItemPage,
        ),
      },
      {
        path: '/orgs/:org',
        HydrateFallback,
        lazy: page(
          () => import('./orgs/overview'),
          (m) => m.OrganizationPage,
        ),
      },
      {
        path: '/orgs/:org/settings',
        HydrateFallback,
        lazy: page(
          () => import('./orgs/settings-layout'),
          (m) => m.OrgSettingsLayout,
        ),
        children: [
          {
            index: true,
            lazy: page(
              () => import('./orgs/general'),
              (m) => m.GeneralSettingsPage,
            ),
          },
          {
            path: 'members',
            lazy: page(
              () => import('./orgs/members'),
              (m) => m.MembersPage,
            ),
          },
          {
            path: 'api-keys',
            lazy: page(
              () => import('./orgs/api-keys'),
              (m) => m.ApiKeysPage,
            ),
          },
          {
            path: 'usage',
            lazy: page(
              () => import('./orgs/usage'),
              (m) => m.UsagePage,
            ),
          },
          {
            path: 'security',
            lazy: page(
              () => import('./orgs/security'),
              (m) => m.SecurityPage,
            ),
          },
          {
            path: 'audit-log',
            lazy: page(
              () => import('./orgs/audit-log'),
              (m) => m.AuditLogPage,
            ),
          },
          {
            path: 'billing',
            lazy: page(
              () => import('./orgs/billing'),
              (m) => m.BillingPage,
            ),
          },
        ],
      },
    ],
  },
  {
    path: '*',
    HydrateFallback,
    lazy: page(
      () => import('./shell/not-found'),
      (m) => m.NotFoundPage,
    ),
  },
]);
