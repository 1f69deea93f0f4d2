# Flywheel Doctor image: the Next.js standalone server.
# Bases are build arguments: by default Red Hat's UBI 9 Node.js 22 images (the OpenShift convention,
# patched and supported by Red Hat); `npm run image` passes a base made from Debian packages when
# the registry cannot be reached. Runs as any UID with GID 0 (OpenShift's restricted SCC); the app
# is read-only to it and the only writable path is /tmp.
# Pinned to a RHEL minor release (Red Hat rebuilds each tag with fixes; :latest would move the Node.js
# and RHEL release under a rebuild). Update both together.
ARG BUILD_IMAGE=registry.access.redhat.com/ubi9/nodejs-22:9.6
ARG RUNTIME_IMAGE=registry.access.redhat.com/ubi9/nodejs-22-minimal:9.6

# ---- build: dependencies (dev ones too: TypeScript, Tailwind) and the production build ----
FROM ${BUILD_IMAGE} AS build
# Behind a TLS-intercepting egress proxy, the build machine's CA bundle (mounted by the builder,
# see scripts/image.sh) lets npm reach the registry; empty by default. Build stage only.
ARG NODE_EXTRA_CA_CERTS=
ENV NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS}
USER 0
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
# No lifecycle scripts: the CLI bundle (prepare) is not part of the server image.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build

# ---- runtime: only the standalone server and its static assets; no npm, no build tools ----
FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="flywheel-doctor" \
      org.opencontainers.image.description="Diagnoses and fixes NVIDIA Data Flywheel deployments on OpenShift and Kubernetes" \
      org.opencontainers.image.source="https://github.com/flywheel-doctor/flywheel-doctor" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      io.k8s.display-name="Flywheel Doctor" \
      io.k8s.description="Diagnoses and fixes NVIDIA Data Flywheel deployments (NeMo Microservices, NIMs, nemo-gateway) on OpenShift and Kubernetes" \
      io.openshift.tags="nvidia,nemo,data-flywheel,diagnostics" \
      io.openshift.expose-services="8080:http"
USER 0
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=8080 \
    HOSTNAME=0.0.0.0 \
    HOME=/tmp
# npm, npx and corepack are build tools: removed wherever the base keeps them.
RUN for d in /usr/local/lib/node_modules /usr/lib/node_modules /usr/share/nodejs; do rm -rf "$d/npm" "$d/corepack"; done; \
    rm -f /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/bin/npm /usr/bin/npx /usr/bin/corepack; \
    mkdir -p /tmp && chmod 1777 /tmp
WORKDIR /app
# Owned by root and read-only for everyone (0555, set while copying: no second copy of the app in
# another layer): an arbitrary UID (GID 0) can read and run it, not change it.
COPY --from=build --chown=0:0 --chmod=0555 /src/.next/standalone ./
COPY --from=build --chown=0:0 --chmod=0555 /src/.next/static ./.next/static
COPY --from=build --chown=0:0 --chmod=0555 /src/public ./public
USER 1001:0
EXPOSE 8080
# --optimize-for-size: V8 otherwise grows the heap with each burst of runs and keeps it; the doctor
# is idle most of the time in someone else's namespace, so a small, steady footprint matters more
# than garbage-collector throughput (bench/RESULTS.md §7). Every other start of the server matches.
CMD ["node", "--optimize-for-size", "server.js"]
