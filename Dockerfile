# One image for every Switchyard service; the service is chosen by the command:
#   docker run switchyard node gateway/src/main.ts        (port 8787)
#   docker run switchyard node ingest/src/main.ts
#   docker run switchyard node analytics-api/src/main.ts  (port 8788)
#   docker run switchyard                                 (embedded all-in-one stack)
# TypeScript runs directly through Node 24's type stripping: there is no build step.
FROM node:24-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    DATA_DIR=/data

WORKDIR /app

# Manifests first so the dependency layer is cached until a manifest or the lockfile changes.
# npm ci checks the lockfile against every workspace, so every workspace manifest is copied;
# .npmrc keeps onnxruntime-node's install script from downloading CUDA binaries (CPU ones ship in it).
COPY package.json package-lock.json .npmrc ./
COPY events/package.json events/
COPY platform/package.json platform/
COPY gateway/package.json gateway/
COPY ingest/package.json ingest/
COPY analytics-api/package.json analytics-api/
COPY console/package.json console/
COPY dashboards/package.json dashboards/
COPY stack/package.json stack/
COPY test/package.json test/
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
# The web console's static bundle (npm ci skipped it: its sources were not copied yet).
RUN npm run build -w @switchyard/console

# Spool / embedded log / embedded ClickHouse live under DATA_DIR; a named volume mounted
# there inherits this ownership.
RUN mkdir -p /data && chown -R node:node /data
USER node
VOLUME ["/data"]

EXPOSE 8787 8788
CMD ["node", "stack/src/main.ts"]
