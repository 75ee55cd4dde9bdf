/**
 * Docusaurus 3 configuration of the site that renders docmost_pipeline's OUTPUT_DIR.
 *
 * Configured the way users run it, so a tree that builds here builds for them: default MDX format, every broken
 * link (URL or markdown path) fails the build, mermaid and math (remark-math + rehype-katex) enabled.
 * An ES module because remark-math and rehype-katex are ESM-only.
 *
 * Environment:
 *   DOCS_DIR       the docs tree to render (OUTPUT_DIR; default ../output relative to this directory)
 *   SITE_URL       public origin of the site (default http://localhost:3000)
 *   SITE_BASE_URL  path the site is served under (default /)
 *   DOCUSAURUS_FASTER  0 builds with webpack and Babel instead of Docusaurus Faster (Rspack, SWC, Lightning CSS,
 *                  worker threads); default 1. For comparing the two (benchmarks/site_build.py) and as a way out
 *                  should the faster bundler ever misbehave on a tree.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import {themes as prismThemes} from 'prism-react-renderer';

const require = createRequire(import.meta.url);
const {docsDir, listSpaces} = require('./docs-dir.cjs');

const DOCS_DIR = docsDir();
const SPACES = listSpaces(DOCS_DIR);
// Docusaurus Faster (@docusaurus/faster) builds the 2,204-page real-server output in 79 s instead of 358 s.
// Everything of `faster: true` except the SWC HTML minifier: it drops attribute quotes and rewrites markup the
// HTML-Terser minifier keeps, so the built pages would no longer be the same pages. Terser minifies the HTML,
// as without `faster`.
const FASTER_ON = !['0', 'false', 'no', 'off'].includes((process.env.DOCUSAURUS_FASTER || '1').trim().toLowerCase());
const FASTER = FASTER_ON && {
  rspackBundler: true,
  rspackPersistentCache: true, // off in tests and pipeline builds (DOCUSAURUS_NO_PERSISTENT_CACHE, see sitebuild.py)
  swcJsLoader: true,
  swcJsMinimizer: true,
  swcHtmlMinimizer: false,
  lightningCssMinimizer: true,
  mdxCrossCompilerCache: true,
  ssgWorkerThreads: true,
  gitEagerVcs: true,
};

/**
 * Space folders in OUTPUT_DIR are published as symlinks (OUTPUT_DIR/<space> -> .versions/<space>/<version>).
 * Webpack resolves symlinks to their real path by default, which puts the file outside the docs plugin's content
 * path, so the MDX loader refuses it. Resolving modules by the path they were found under keeps them inside.
 */
function keepSymlinkedDocsInsideContentPath() {
  return {
    name: 'docmost-keep-symlink-paths',
    configureWebpack() {
      return {resolve: {symlinks: false}};
    },
  };
}

/** @type {import('@docusaurus/types').Config} */
const config = {
  title: 'Docmost docs',
  tagline: 'Docmost spaces, published with docmost_pipeline',
  url: process.env.SITE_URL || 'http://localhost:3000',
  baseUrl: process.env.SITE_BASE_URL || '/',
  favicon: undefined,

  onBrokenLinks: 'throw',
  // Docmost heading ids never match Docusaurus heading ids; the converter keeps only fragments it can map and drops
  // the others. A stale fragment still lands on the right page, so it warns (and the tests count it) rather than
  // blocking a whole publication.
  onBrokenAnchors: 'warn',
  onDuplicateRoutes: 'throw',

  future: {
    // OUTPUT_DIR is generated, not a git checkout: page dates come from front matter (`last_update.date`), and
    // asking git about a file outside any repository fails the build.
    experimental_vcs: false,
    // @docusaurus/faster: Rspack bundler, SWC loader and minifiers, Lightning CSS, SSG in worker threads.
    faster: FASTER,
    // The SSG worker threads (part of `faster`) require this v4 flag; only this one of the v4 flags, so the
    // rendered pages stay as they were (no CSS cascade layers, MDX 1 compatibility unchanged).
    v4: {removeLegacyPostBuildHeadAttribute: true},
  },

  i18n: {defaultLocale: 'en', locales: ['en']},

  markdown: {
    format: 'mdx',
    mermaid: true,
    hooks: {
      onBrokenMarkdownLinks: 'throw',
      onBrokenMarkdownImages: 'throw',
    },
  },

  customFields: {
    spaces: SPACES,
  },

  presets: [
    [
      'classic',
      /** @type {import('@docusaurus/preset-classic').Options} */
      ({
        docs: {
          path: DOCS_DIR,
          routeBasePath: 'docs',
          sidebarPath: './sidebars.cjs',
          include: ['**/*.{md,mdx}'],
          // The docs plugin's defaults, plus dot-directories (OUTPUT_DIR/.versions, .tmp-* staging dirs) spelled out.
          exclude: ['**/_*.{js,jsx,ts,tsx,md,mdx}', '**/_*/**', '**/*.test.{js,jsx,ts,tsx}', '**/__tests__/**', '**/.*/**', '**/.*'],
          remarkPlugins: [remarkMath],
          rehypePlugins: [rehypeKatex],
          // Pages carry `last_update.date` (Docmost updatedAt) in front matter, so no git lookup is needed for them.
          showLastUpdateTime: true,
        },
        blog: false,
        theme: {
          // KaTeX's stylesheet comes from node_modules (bundled with its fonts), never from a CDN.
          customCss: [require.resolve('katex/dist/katex.min.css'), './src/css/custom.css'],
        },
      }),
    ],
  ],

  themes: [
    '@docusaurus/theme-mermaid',
    // Local search (no external service): the index is built at build time and searched in the browser. `ko` adds
    // lunr-languages' Korean trimmer so Hangul words are indexed at all (with `en` alone they are trimmed away), and
    // the plugin prefix-matches the last word typed, so `배포` finds `배포를`, `배포는`, `배포에서`. Measured choice:
    // see docs/site.md#search.
    [
      '@easyops-cn/docusaurus-search-local',
      /** @type {import('@easyops-cn/docusaurus-search-local').PluginOptions} */
      ({
        language: ['en', 'ko'],
        // The index URL carries a hash of the docs' Markdown, so a browser never keeps a stale index after a
        // publication. Hashed over the live space folders only: not .versions/ or staging dirs, which the publisher
        // may be writing or pruning during a build.
        hashed: true,
        docsDir: SPACES.map((space) => path.join(DOCS_DIR, space.slug)),
        indexDocs: true,
        docsRouteBasePath: 'docs',
        indexBlog: false,
        // The home page only lists the spaces; the /docmost/p/ routes are redirects.
        indexPages: false,
      }),
    ],
  ],
  // docmost-links: the /docmost/p/<slugId> routes that links between spaces point to (see the plugin's header).
  plugins: [keepSymlinkedDocsInsideContentPath, './plugins/docmost-links/index.mjs'],

  themeConfig:
    /** @type {import('@docusaurus/preset-classic').ThemeConfig} */
    ({
      navbar: {
        title: 'Docmost docs',
        items: [{to: '/', label: 'Spaces', position: 'left', activeBaseRegex: '^/$'}],
      },
      prism: {
        theme: prismThemes.github,
        darkTheme: prismThemes.dracula,
      },
    }),
};

export default config;
