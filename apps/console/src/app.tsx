import { useEffect, useState } from 'preact/hooks';
import { ApiError, request, setUnauthorizedHandler, type Me } from './api.js';
import { useHashRoute } from './hooks.js';
import { AccountsPage } from './pages/accounts.js';
import { CampaignPage } from './pages/campaign.js';
import { CampaignsPage } from './pages/campaigns.js';
import { NewCampaignPage } from './pages/new-campaign.js';
import { SignIn } from './pages/sign-in.js';
import { SuppressionsPage } from './pages/suppressions.js';
import { forgetToken, loadToken, saveToken } from './session.js';
import { makeSession, SessionContext, type Session } from './session-context.js';

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => loadToken() !== null);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  // The kept token could not be checked (the API down, a 5xx): it is kept, and the check offered again.
  const [unreachable, setUnreachable] = useState<string | undefined>(undefined);

  const signIn = async (token: string): Promise<void> => {
    const me = await request<Me>(token, '/v1/me');
    saveToken(token);
    setNotice(undefined);
    setSession(makeSession(token, me));
  };
  const signOut = (why?: string) => {
    forgetToken();
    setSession(null);
    setNotice(why);
  };

  // A token kept from earlier in this tab: check it is still good. Only a 401 forgets it.
  const recheck = () => {
    const token = loadToken();
    if (token === null) return;
    setChecking(true);
    setUnreachable(undefined);
    signIn(token)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) signOut('Your token is no longer accepted: sign in again.');
        else setUnreachable((err as Error).message);
      })
      .finally(() => setChecking(false));
  };
  useEffect(recheck, []);

  useEffect(() => {
    setUnauthorizedHandler(session ? () => signOut('The API no longer accepts this token (401): sign in again.') : undefined);
  }, [session]);

  if (checking) return <p class="loading">Checking your token…</p>;
  if (unreachable && !session) {
    return (
      <main class="sign-in">
        <h1>wabulk console</h1>
        <p class="error" role="alert">
          Could not check your token: {unreachable}
        </p>
        <div class="actions">
          <button type="button" class="primary" onClick={recheck}>
            Try again
          </button>
          <button type="button" onClick={() => { setUnreachable(undefined); signOut(); }}>
            Sign out
          </button>
        </div>
      </main>
    );
  }
  if (!session) return <SignIn onSignIn={signIn} notice={notice} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell session={session} onSignOut={() => signOut('Signed out: the token is forgotten in this tab.')} />
    </SessionContext.Provider>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useHashRoute();
  const section = route.split('/')[1] ?? 'campaigns';
  const link = (href: string, label: string, current: boolean) => (
    <a href={`#${href}`} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header class="top">
        <a class="brand" href="#/campaigns">
          wabulk
        </a>
        <nav aria-label="Main">
          {link('/campaigns', 'Campaigns', section === 'campaigns')}
          {session.can('send') && link('/new', 'New campaign', section === 'new')}
          {link('/accounts', 'Accounts', section === 'accounts')}
          {link('/suppressions', 'Suppression list', section === 'suppressions')}
          <a href="/docs" target="_blank" rel="noopener">
            API reference
          </a>
        </nav>
        <div class="who">
          <span title={`scopes: ${session.me.scopes.join(', ')}`}>
            Signed in as <strong>{session.me.name}</strong> ({session.me.scopes.join(', ')})
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: string }) {
  const parts = route.split('/').filter(Boolean);
  switch (parts[0] ?? 'campaigns') {
    case 'campaigns':
      return parts[1] ? <CampaignPage key={parts[1]} id={parts[1]} /> : <CampaignsPage />;
    case 'new':
      return <NewCampaignPage />;
    case 'accounts':
      return <AccountsPage />;
    case 'suppressions':
      return <SuppressionsPage />;
    default:
      return <CampaignsPage />;
  }
}
