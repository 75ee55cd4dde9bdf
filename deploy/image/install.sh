#!/usr/bin/env bash
# The image's install step, also run by the tests into a temporary directory:
#
#   deploy/image/install.sh SOURCE_DIR PREFIX [--without-site]
#
# PREFIX/venv   a virtual environment with the project installed as `make` installs it (its pyproject.toml
#               dependencies, pinned there), but from a built wheel, not editable: nothing refers back to SOURCE_DIR
# PREFIX/site   the Docusaurus site (site/ without node_modules or build output) with `npm ci` run in it from its
#               lockfile, so the image can build the site without a network (skipped with --without-site)
# PREFIX/bin/entrypoint   the start step (deploy/image/entrypoint.sh), the image's ENTRYPOINT
#
# Python is ${PYTHON:-python3} (3.11); the site needs node and npm (Node.js 20+) on PATH.
set -euo pipefail

usage() { echo "usage: $0 SOURCE_DIR PREFIX [--without-site]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
source_dir=$(cd "$1" && pwd)
prefix=$2
with_site=1
case "${3:-}" in
  "") ;;
  --without-site) with_site=0 ;;
  *) usage ;;
esac
python=${PYTHON:-python3}

mkdir -p "$prefix/bin"
prefix=$(cd "$prefix" && pwd)

# Build from a copy holding only what the wheel is made of: pip builds a source tree in place (build/, *.egg-info),
# and a checkout's own .venv, output or node_modules must never end up in the image.
build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
cp -R "$source_dir/pyproject.toml" "$source_dir/README.md" "$source_dir/docmost_pipeline" "$build_dir/"
find "$build_dir" -name __pycache__ -type d -prune -exec rm -rf {} +

"$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$prefix/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$build_dir"

if [ "$with_site" = 1 ]; then
  rm -rf "$prefix/site"
  mkdir -p "$prefix/site"
  (cd "$source_dir/site" && tar --exclude=./node_modules --exclude=./build --exclude=./.docusaurus -cf - .) \
    | tar -xf - -C "$prefix/site"
  (cd "$prefix/site" && npm ci --no-audit --no-fund --loglevel=error)
fi

install -m 0755 "$source_dir/deploy/image/entrypoint.sh" "$prefix/bin/entrypoint"
echo "installed docmost_pipeline into $prefix ($("$prefix/venv/bin/python" --version 2>&1)$(
  [ "$with_site" = 1 ] && echo ", site with node $(node --version)"))"
