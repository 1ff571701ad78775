/**
 * The signed-in frame: a skip link, the header with who is signed in and sign-out, the navigation
 * (only the pages the person's roles allow), and the page. On a phone width the navigation folds
 * into a menu button.
 */
import { useState, type ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { useCan, useSession, useSignOut } from '../auth/session';
import { PAGES, allowed } from '../routes';

export function Shell({ children }: { children: ReactNode }) {
  const session = useSession();
  const can = useCan();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const links = PAGES.filter((p) => p.label !== undefined && allowed(p, can));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/work" className="brand">
          closeloop
        </NavLink>
        <button type="button" className="menu-button" aria-expanded={open} aria-controls="primary-nav" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <div className="who">
          <span title={`roles: ${session.roles.join(', ')}`}>{session.display_name ?? session.actor}</span>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              void signOut().then(() => navigate('/'));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <div className="frame">
        <nav id="primary-nav" aria-label="Main" className={open ? 'nav open' : 'nav'}>
          <ul>
            {links.map((p) => (
              <li key={p.path}>
                <NavLink to={p.path} onClick={() => setOpen(false)}>
                  {p.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
