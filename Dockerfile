# Flywheel Doctor image: Next.js standalone output on Node 22 LTS.
# Runs as any UID with GID 0 (OpenShift's restricted SCC): files are group-0 owned and
# group-readable; the only writable path is /tmp (mount an emptyDir there, see deploy/).

# ---- dependencies (with dev deps: the build needs TypeScript, Tailwind) ----
FROM docker.io/library/node:22-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build ----
FROM docker.io/library/node:22-bookworm-slim AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /src/node_modules ./node_modules
COPY . .
RUN npm run build

# ---- runtime: only the standalone server and its static assets; no npm, no dev deps ----
FROM docker.io/library/node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=8080 \
    HOSTNAME=0.0.0.0 \
    HOME=/tmp
WORKDIR /app
# npm/npx/corepack are build tools: drop them from the final image.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=build --chown=1001:0 /src/.next/standalone ./
COPY --from=build --chown=1001:0 /src/.next/static ./.next/static
COPY --from=build --chown=1001:0 /src/public ./public
# Group 0 gets the owner's rights so an arbitrary UID in group 0 behaves like the owner.
RUN chmod -R g=u /app
USER 1001:0
EXPOSE 8080
CMD ["node", "server.js"]
