import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { ApiProblem, onSessionEnded } from './api/client';
import { noteSessionEnded, SESSION_KEY } from './auth/session';
import { router } from './routes';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (403, 404, 422…) will not change by asking again; only transient failures are retried.
      retry: (count, error) => count < 2 && (!(error instanceof ApiProblem) || error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: false,
    },
  },
});

// A 401 on any call means the session ended (idle timeout, signed out elsewhere): the page in view
// sends the person to the sign-in page, which brings them back afterwards.
onSessionEnded(() => {
  if (queryClient.getQueryData(SESSION_KEY)) {
    noteSessionEnded();
    queryClient.setQueryData(SESSION_KEY, null); // RequireSession then leads to the sign-in page and back
  }
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
