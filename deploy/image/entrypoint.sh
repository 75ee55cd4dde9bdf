#!/usr/bin/env bash
# The image's start step (its ENTRYPOINT, behind tini), installed as PREFIX/bin/entrypoint by install.sh.
#
#   entrypoint code-server [--host H] [--port P]      docmost-pipeline serve code-server ... (gRPC, default :4000)
#   entrypoint webserver [--host H] [--port P] [--code-server-host H] [--code-server-port P]
#   entrypoint daemon [--code-server-host H] [--code-server-port P]   docmost-pipeline serve daemon ...
#   entrypoint site-builder --into DIR [--every SECONDS] [--once]
#                                                      build the Docusaurus site over OUTPUT_DIR into DIR/current
#                                                      whenever a space's live tree changes (for a static web server)
#   entrypoint probe code-server|webserver|daemon|site-builder [ARG]
#                                                      the health probes (exit 0 healthy, 1 not, with one line)
#   entrypoint COMMAND [ARGS...]                       any other command, e.g. the Dagster Helm chart's
#                                                      `dagster api grpc ...` and its run pods' `dagster api execute_run`
#
# Every form first puts PREFIX/venv/bin on PATH, points SITE_SOURCE_DIR at PREFIX/site when it exists, and reads
# NAME_FILE into NAME for the secrets (Docker/Compose secrets are files): DOCMOST_PASSWORD, DAGSTER_PG_PASSWORD,
# DAGSTER_POSTGRES_URL, ALERT_WEBHOOK_URLS. The serve commands exec the Dagster process, so SIGTERM reaches it.
set -euo pipefail

prefix=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export PATH="$prefix/venv/bin:$PATH"
if [ -z "${SITE_SOURCE_DIR:-}" ] && [ -d "$prefix/site" ]; then
  export SITE_SOURCE_DIR="$prefix/site"
fi

fail() { echo "entrypoint: $*" >&2; exit 2; }

load_secret_files() {
  local name file_var file
  for name in DOCMOST_PASSWORD DAGSTER_PG_PASSWORD DAGSTER_POSTGRES_URL ALERT_WEBHOOK_URLS; do
    file_var="${name}_FILE"
    file=${!file_var:-}
    [ -n "$file" ] || continue
    [ -z "${!name:-}" ] || fail "$name and $file_var are both set: set one of them"
    [ -f "$file" ] && [ -r "$file" ] || fail "$file_var=$file: not a readable file"
    export "$name=$(<"$file")"
    unset "$file_var"
  done
}

probe() {
  local role=${1:-}
  case "$role" in
    code-server)
      exec dagster api grpc-health-check --host 127.0.0.1 --port "${2:-4000}" ;;
    webserver)
      exec python - "${2:-3030}" <<'PY'
import sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/server_info"
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        sys.exit(0 if response.status == 200 else f"webserver unhealthy: {url} answered HTTP {response.status}")
except OSError as error:
    sys.exit(f"webserver unhealthy: {url}: {error}")
PY
      ;;
    daemon)
      exec dagster-daemon liveness-check ;;
    site-builder)
      site_builder_healthy "${2:?probe site-builder needs the --into directory}" ;;
    *)
      fail "probe: expected code-server, webserver, daemon or site-builder, got '${role}'" ;;
  esac
}

# Healthy: a site is being served (DIR/current/index.html) and the loop went round within the last hour (a build
# of a large site takes minutes; the loop touches DIR/.heartbeat before and after each build).
site_builder_healthy() {
  local into=$1 heartbeat age
  heartbeat="$into/.heartbeat"
  [ -f "$heartbeat" ] || { echo "site-builder unhealthy: no $heartbeat (not started?)"; exit 1; }
  age=$(( $(date +%s) - $(stat -c %Y "$heartbeat") ))
  [ "$age" -le 3600 ] || { echo "site-builder unhealthy: $heartbeat is ${age}s old"; exit 1; }
  [ -f "$into/current/index.html" ] || { echo "site-builder unhealthy: no site built yet in $into/current"; exit 1; }
  exit 0
}

# What the live trees are: each top-level entry of OUTPUT_DIR with its inode. A publish replaces the entry (a new
# symlink in symlink mode, an exchanged directory in exchange mode), so any publish, rollback or unpublish changes it.
live_state() {
  local output_dir=$1
  find "$output_dir" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f %i\n' 2>/dev/null | sort
}

build_once() {
  local output_dir=$1 into=$2 build status=0
  build="builds/$(date -u +%Y%m%dT%H%M%SZ)-$$"
  mkdir -p "$into/builds"
  python -m docmost_pipeline.sitebuild "$output_dir" --out-dir "$into/$build" & child=$!
  wait "$child" || status=$?
  wait "$child" 2>/dev/null || true
  child=
  if [ "$status" != 0 ]; then
    rm -rf "${into:?}/$build"
    echo "site-builder: build failed (exit $status); the site served stays as it was" >&2
    return 1
  fi
  # One atomic step, as the publisher does: the web server's root is the symlink DIR/current.
  ln -sfn "$build" "$into/current.new"
  mv -Tf "$into/current.new" "$into/current"
  find "$into/builds" -mindepth 1 -maxdepth 1 ! -name "$(basename "$build")" -exec rm -rf {} +
  echo "site-builder: site built from $output_dir is live ($into/$build)"
}

site_builder() {
  local into="" every=60 once=0 output_dir last="" state
  while [ $# -gt 0 ]; do
    case "$1" in
      --into) into=${2:?--into needs a directory}; shift 2 ;;
      --every) every=${2:?--every needs seconds}; shift 2 ;;
      --once) once=1; shift ;;
      -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) fail "site-builder: unknown argument '$1'" ;;
    esac
  done
  [ -n "$into" ] || fail "site-builder: --into DIR is required"
  [[ "$every" =~ ^[1-9][0-9]*$ ]] || fail "site-builder: --every expects whole seconds, got '$every'"
  output_dir=${OUTPUT_DIR:-output}
  mkdir -p "$into"
  child=
  trap 'trap - TERM INT; [ -n "${child:-}" ] && kill -TERM "$child" 2>/dev/null; exit 0' TERM INT
  while :; do
    touch "$into/.heartbeat"
    state=$(live_state "$output_dir")
    if [ -n "$state" ] && [ "$state" != "$last" ]; then
      build_once "$output_dir" "$into" || true
      last=$state
      touch "$into/.heartbeat"
    fi
    [ "$once" = 0 ] || { [ -f "$into/current/index.html" ] && exit 0 || exit 1; }
    sleep "$every" & child=$!
    wait "$child" || true
    child=
  done
}

load_secret_files
role=${1:-}
case "$role" in
  code-server|webserver|daemon)
    shift
    exec docmost-pipeline serve "$role" "$@" ;;
  site-builder)
    shift
    site_builder "$@" ;;
  probe)
    shift
    probe "$@" ;;
  "")
    fail "no command: expected code-server, webserver, daemon, site-builder, probe or a command to run" ;;
  *)
    exec "$@" ;;
esac
