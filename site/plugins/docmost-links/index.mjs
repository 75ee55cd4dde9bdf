/**
 * docmost-links: the routes `/docmost/p/<slugId>` that links between Docmost spaces point to.
 *
 * docmost_pipeline converts and publishes each space on its own, so a page cannot know, when it is converted, where
 * a page of ANOTHER space will live when the site is built (that space may be republished with the page renamed or
 * moved, unpublished, or never published). The converter therefore writes such a link as `/docmost/p/<slugId>` and
 * records in the linking doc's front matter where else the page can be found:
 *
 *   docmost:
 *     slug_id: '<this page's slugId>'
 *     links:
 *       '<slugId>': {space: '<space slug>', url: '<Docmost URL of the page>'}   # url omitted when unknown
 *
 * This plugin decides at build time, from every doc the docs plugin loaded, what each of those routes shows:
 *   - the page is published on this site (a doc has `docmost.slug_id` = slugId): a redirect to its permalink;
 *   - otherwise, a fallback URL is known: a redirect to it (the page in Docmost);
 *   - otherwise: a short page saying which space the page lives in and that it is not published on this site.
 * A route is added for every published page and every referenced slugId, so these links are never broken and
 * Docusaurus' broken-link checker accepts them.
 *
 * Using it in another Docusaurus site: copy this folder (index.mjs + DocmostLinkPage.js) and add
 * `plugins: ['./plugins/docmost-links/index.mjs']` to docusaurus.config; it reads every instance of the docs plugin.
 */
import {fileURLToPath} from 'node:url';

const DOCS_PLUGIN = 'docusaurus-plugin-content-docs';
const ROUTE_PREFIX = 'docmost/p';
// Docmost slugIds are nanoids over [0-9A-Za-z]; anything else is not a Docmost page id and gets no route.
const SLUG_ID = /^[A-Za-z0-9]+$/;
// baseUrl always starts and ends with '/' (Docusaurus validates it); slugIds are [0-9A-Za-z] only.
// Joined by hand so the plugin depends on nothing the site's package.json does not list.
function routePath(baseUrl, slugId) {
  return `${baseUrl.replace(/\/*$/, '/')}${ROUTE_PREFIX}/${slugId}`;
}

const COMPONENT = fileURLToPath(new URL('./DocmostLinkPage.js', import.meta.url));

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function httpUrl(value) {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Every loaded doc of every docs plugin instance and version, in a stable order (by source path). */
function allDocs(allContent) {
  const docs = [];
  for (const content of Object.values(allContent[DOCS_PLUGIN] ?? {})) {
    for (const version of content?.loadedVersions ?? []) {
      docs.push(...version.docs);
    }
  }
  return docs.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/**
 * slugId -> route props: {slugId, kind: 'internal', to: permalink, title} for a page published on this site,
 * {slugId, kind: 'external', to: url, space} for a known Docmost URL, {slugId, kind: 'unpublished', space} otherwise.
 * Exported for tests and reuse.
 */
export function docmostLinkTargets(docs) {
  const published = new Map();
  const fallbacks = new Map();
  for (const doc of docs) {
    const docmost = doc.frontMatter?.docmost;
    if (!isObject(docmost)) continue;
    const own = docmost.slug_id;
    if (typeof own === 'string' && SLUG_ID.test(own) && !published.has(own)) {
      published.set(own, {permalink: doc.permalink, title: doc.title});
    }
    if (!isObject(docmost.links)) continue;
    for (const [slugId, fallback] of Object.entries(docmost.links)) {
      if (!SLUG_ID.test(slugId) || !isObject(fallback)) continue;
      const space = typeof fallback.space === 'string' ? fallback.space : '';
      const url = httpUrl(fallback.url);
      const known = fallbacks.get(slugId);
      // One doc may know the Docmost URL when another does not (converted without a base URL): prefer a URL.
      if (!known || (!known.url && url)) fallbacks.set(slugId, {space, url});
    }
  }
  const targets = new Map();
  for (const slugId of [...new Set([...published.keys(), ...fallbacks.keys()])].sort()) {
    const page = published.get(slugId);
    const fallback = fallbacks.get(slugId);
    if (page) {
      targets.set(slugId, {slugId, kind: 'internal', to: page.permalink, title: page.title});
    } else if (fallback.url) {
      targets.set(slugId, {slugId, kind: 'external', to: fallback.url, space: fallback.space});
    } else {
      targets.set(slugId, {slugId, kind: 'unpublished', space: fallback.space});
    }
  }
  return targets;
}

export default function docmostLinksPlugin(context) {
  return {
    name: 'docmost-links',
    async allContentLoaded({allContent, actions}) {
      for (const [slugId, target] of docmostLinkTargets(allDocs(allContent))) {
        actions.addRoute({
          // Route paths carry the baseUrl (permalinks in `target.to` already do).
          path: routePath(context.baseUrl, slugId),
          component: COMPONENT,
          exact: true,
          props: {target},
        });
      }
    },
  };
}
