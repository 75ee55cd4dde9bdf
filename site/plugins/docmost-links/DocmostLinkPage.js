/**
 * The page behind `/docmost/p/<slugId>` (see index.mjs): a redirect to where the Docmost page is, or a short note
 * that its space is not published on this site.
 *
 * Static HTML (first load, no JavaScript yet): a `<meta http-equiv="refresh">` and an inline script that keeps
 * `location.hash`, plus a visible link. Client-side navigation (the app is running): `<Redirect>` for a page of this
 * site, `window.location.replace` for a Docmost URL. The static redirect tags are rendered only until the app runs,
 * so a client-side visit never injects them into the live document.
 */
import React, {useEffect} from 'react';
import Head from '@docusaurus/Head';
import Link from '@docusaurus/Link';
import {Redirect, useLocation} from '@docusaurus/router';
import useIsBrowser from '@docusaurus/useIsBrowser';
import Layout from '@theme/Layout';

function StaticRedirect({to}) {
  // JSON string literal, with `<` escaped so no `</script>` can close the tag early.
  const literal = JSON.stringify(to).replace(/</g, '\\u003c');
  return (
    <Head>
      <meta httpEquiv="refresh" content={`0; url=${to}`} />
      <script>{`window.location.replace(${literal} + window.location.hash);`}</script>
    </Head>
  );
}

function Page({title, children}) {
  return (
    <Layout title={title}>
      <Head>
        <meta name="robots" content="noindex" />
      </Head>
      <main className="container margin-vert--lg">
        <h1>{title}</h1>
        {children}
      </main>
    </Layout>
  );
}

export default function DocmostLinkPage({target}) {
  const isBrowser = useIsBrowser();
  const {hash} = useLocation();
  const {kind, to, space, title} = target;
  useEffect(() => {
    if (kind === 'external') window.location.replace(to + window.location.hash);
  }, [kind, to]);

  if (kind === 'internal') {
    if (isBrowser) return <Redirect to={to + hash} />;
    return (
      <Page title={title}>
        <StaticRedirect to={to} />
        <p>
          This page is at <Link to={to}>{to}</Link>.
        </p>
      </Page>
    );
  }
  if (kind === 'external') {
    return (
      <Page title="Page in Docmost">
        {!isBrowser && <StaticRedirect to={to} />}
        <p>
          This page of the Docmost space “{space}” is not published on this site. It is in Docmost at{' '}
          <a href={to}>{to}</a>.
        </p>
      </Page>
    );
  }
  return (
    <Page title="Page not published">
      <p>
        This page lives in the Docmost space “{space}”, which is not published on this site. Ask in Docmost for
        access, or ask for the space to be published here.
      </p>
    </Page>
  );
}
