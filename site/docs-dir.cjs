/**
 * Where the site reads its docs from, and which spaces live there.
 *
 * Shared by docusaurus.config.mjs (docs plugin path, home page data) and sidebars.cjs (one sidebar per space),
 * so both agree on the same directory and the same list of spaces.
 *
 * DOCS_DIR (env) is the pipeline's OUTPUT_DIR: one folder per Docmost space slug, each holding a docs tree with a
 * `_category_.json` whose `label` is the space name. A relative DOCS_DIR is taken relative to the current working
 * directory (that is what a user typing `DOCS_DIR=../x npm run build` means); without it the site reads ../output,
 * the repository's default OUTPUT_DIR.
 */
const fs = require('fs');
const path = require('path');

const SITE_DIR = __dirname;

function docsDir() {
  const fromEnv = process.env.DOCS_DIR;
  return fromEnv ? path.resolve(process.cwd(), fromEnv) : path.resolve(SITE_DIR, '..', 'output');
}

/** True when `dir` (followed through symlinks) holds at least one doc Docusaurus would pick up. */
function containsDocs(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, {withFileTypes: true});
  } catch {
    return false;
  }
  for (const entry of entries) {
    // Same exclusions as the docs plugin: dot-entries (.versions, .tmp-*) and `_`-prefixed files/folders.
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const full = path.join(dir, entry.name);
    let stat;
    try {
      stat = fs.statSync(full);
    } catch {
      continue; // dangling symlink: nothing to render
    }
    if (stat.isDirectory() ? containsDocs(full) : /\.mdx?$/.test(entry.name)) return true;
  }
  return false;
}

/**
 * The spaces published in the docs dir, sorted by slug: [{slug, name}].
 * A space is a top-level folder (or symlink to one) that contains docs; its name comes from `_category_.json`.
 */
function listSpaces(dir = docsDir()) {
  let entries;
  try {
    entries = fs.readdirSync(dir, {withFileTypes: true});
  } catch {
    return [];
  }
  const spaces = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
    const full = path.join(dir, entry.name);
    if (!containsDocs(full)) continue;
    let name = entry.name;
    try {
      const category = JSON.parse(fs.readFileSync(path.join(full, '_category_.json'), 'utf8'));
      if (category && typeof category.label === 'string' && category.label.trim()) name = category.label;
    } catch {
      // No or unreadable _category_.json: the slug is still a usable name.
    }
    spaces.push({slug: entry.name, name});
  }
  spaces.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return spaces;
}

module.exports = {docsDir, listSpaces};
