/**
 * Home page at `/` (the classic navbar links here): one link per published Docmost space, to its first page.
 * The space list comes from docusaurus.config.mjs (customFields.spaces, read from DOCS_DIR at build time);
 * the first page of each space is the first doc of its sidebar, as the docs plugin computed it.
 */
import React from 'react';
import Layout from '@theme/Layout';
import Link from '@docusaurus/Link';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';
import {useAllDocsData} from '@docusaurus/plugin-content-docs/client';

function spaceLinks(spaces, docsData) {
  const plugin = docsData.default;
  const version = plugin && plugin.versions.find((v) => v.isLast);
  const sidebars = (version && version.sidebars) || {};
  return spaces
    .map((space) => ({...space, link: sidebars[space.slug] && sidebars[space.slug].link}))
    .filter((space) => space.link && space.link.path);
}

export default function Home() {
  const {siteConfig} = useDocusaurusContext();
  const spaces = spaceLinks(siteConfig.customFields.spaces || [], useAllDocsData());
  return (
    <Layout title="Spaces" description="Docmost spaces published as documentation">
      <main className="container margin-vert--lg">
        <h1>{siteConfig.title}</h1>
        {spaces.length === 0 ? (
          <p>No space is published yet. Run the pipeline, then build the site again.</p>
        ) : (
          <ul className="docmost-space-list">
            {spaces.map((space) => (
              <li key={space.slug}>
                <Link to={space.link.path}>{space.name}</Link>
              </li>
            ))}
          </ul>
        )}
      </main>
    </Layout>
  );
}
