# The docmost_pipeline image: one image for the code server, the webserver, the daemon, the run workers (Docker
# Compose and the Dagster Helm chart's K8sRunLauncher) and the site builder. See docs/deploy.md.
#
#   docker build -t docmost-pipeline .
#
# The install and start steps are deploy/image/install.sh and deploy/image/entrypoint.sh, the same scripts the tests
# run (docmost_pipeline_tests/deploy/test_image_install.py), so what is tested here is what the image does.
#
# Base images, pinned by tag and digest where docker-library/repo-info publishes it:
#   python:3.11-slim-bookworm (Python 3.11.16, digest of the multi-platform index as of 2026-08-25)
#   node:20.20.2-bookworm-slim by exact tag only (repo-info no longer lists Node 20 tags; 20.20.2 is the version the
#   tests run); only its node and npm are copied, into a Python image of the same Debian release.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS node

FROM ${PYTHON_IMAGE} AS python-with-node
# node and npm only (no yarn/corepack): the site is installed with `npm ci` and built with node.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && node --version && npm --version

# Stage 1: install the project (a venv from a wheel of this checkout) and the site's node_modules.
FROM python-with-node AS build
ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 npm_config_cache=/tmp/npm-cache
WORKDIR /src
COPY pyproject.toml README.md ./
COPY docmost_pipeline ./docmost_pipeline
COPY site ./site
COPY deploy/image ./deploy/image
RUN deploy/image/install.sh /src /opt/docmost && rm -rf /tmp/npm-cache

# Stage 2: the runtime, without the sources, the pip/npm caches or the build stage's layers.
FROM python-with-node AS runtime
# tini as PID 1 forwards SIGTERM to the Dagster process (a Python PID 1 without a handler would ignore it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 docmost \
 && useradd --system --uid 10001 --gid docmost --home-dir /home/docmost --create-home --shell /usr/sbin/nologin docmost
# DAGSTER_HOME is written by the serve commands (dagster.yaml from the settings at every start); /data/output is
# OUTPUT_DIR, a volume shared by the code server (its run workers publish there), the daemon and the site builder;
# /srv/site is where the site builder writes the built site for a static web server.
ENV DAGSTER_HOME=/opt/dagster/dagster_home \
    OUTPUT_DIR=/data/output \
    PATH=/opt/docmost/venv/bin:$PATH \
    SITE_SOURCE_DIR=/opt/docmost/site \
    PYTHONUNBUFFERED=1
RUN mkdir -p "$DAGSTER_HOME/storage" /data/output /srv/site \
 && chown -R docmost:docmost /opt/dagster /data/output /srv/site
COPY --from=build --chown=docmost:docmost /opt/docmost /opt/docmost
USER docmost
WORKDIR /home/docmost
VOLUME ["/data/output"]
EXPOSE 3030 4000
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/docmost/bin/entrypoint"]
CMD ["webserver", "--host", "0.0.0.0"]
