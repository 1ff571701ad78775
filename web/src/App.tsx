/**
 * The application: the set-password page is public; every other address shows the sign-in form
 * until someone is signed in, then the page itself inside the signed-in frame.
 */
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useRouteError, type RouteObject } from 'react-router';
import { SessionProvider, useCan, useSessionQuery } from './auth/session';
import { ErrorNotice } from './components/ErrorNotice';
import { Loading, Page } from './components/Page';
import { Shell } from './layout/Shell';
import SetPassword from './pages/SetPassword';
import SignIn from './pages/SignIn';
import { allowed, PAGES, type PageRoute } from './routes';

function Root() {
  const session = useSessionQuery();
  if (session.isPending) return <Loading what="Opening closeloop" />;
  if (session.isError) {
    return (
      <main id="main" className="signin">
        <ErrorNotice error={session.error} title="closeloop cannot be reached" />
      </main>
    );
  }
  if (session.data === null) return <SignIn />;
  return (
    <SessionProvider session={session.data}>
      <Shell>
        <Outlet />
      </Shell>
    </SessionProvider>
  );
}

/** A page the person's roles do not allow: said in words (the API would refuse its data anyway). */
function Guarded({ page, children }: { page: PageRoute; children: React.ReactNode }) {
  const can = useCan();
  if (!allowed(page, can)) {
    return (
      <Page title="Not available to your roles">
        <p>Your roles do not give access to this page. Ask an administrator if you need it.</p>
      </Page>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <Page title="Page not found">
      <p>There is no page at this address. Use the navigation to find what you need.</p>
    </Page>
  );
}

function RouteError() {
  const error = useRouteError();
  return (
    <Page title="Something went wrong">
      <ErrorNotice error={error} />
    </Page>
  );
}

const pageRoutes: RouteObject[] = PAGES.map((p) => ({
  path: p.path,
  errorElement: <RouteError />,
  lazy: async () => {
    const { default: Component } = await p.load();
    return {
      Component: () => (
        <Guarded page={p}>
          <Component />
        </Guarded>
      ),
    };
  },
}));

export const router = createBrowserRouter([
  { path: '/set-password', element: <SetPassword /> },
  {
    path: '/',
    element: <Root />,
    errorElement: <RouteError />,
    children: [{ index: true, element: <Navigate to="/work" replace /> }, ...pageRoutes, { path: '*', element: <NotFound /> }],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
