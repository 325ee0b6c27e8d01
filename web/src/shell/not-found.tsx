import { Link } from 'react-router';
import { PublicPage } from '../auth/public-page';

export function NotFoundPage() {
  return (
    <PublicPage title="Page not found">
      <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
      <Link className="btn btn-primary" to="/">
        Go to FuncSpec
      </Link>
    </PublicPage>
  );
}
