# syntax=docker/dockerfile:1
# mobileid-sync as a container (sidecar next to an HR export, or standalone).
#
#   docker build -t mobileid-sync .
#   docker run -d --name mobileid-sync --init --stop-timeout 45 \
#     -v ./config:/config:ro -v mobileid-state:/state -v /srv/hr-export:/drop \
#     -v ./secrets/mim_token:/run/secrets/mim_token:ro  mobileid-sync
#
# /config/config.json5 (MOBILEID_SYNC_CONFIG) — secrets come from Docker secrets:
#   { stateDir: "/state",
#     jobs: [{ name: "main",
#              mim: { project: "acme", tokenFile: "/run/secrets/mim_token" },
#              sources: [{ name: "hr", kind: "csv-folder", folder: "/drop" }] }] }
# See docker-compose.example.yml. Logs: pino JSON on stdout (docker logs).

# --- build: compile TypeScript and bundle it (scripts/bundle.mjs) with the dev dependencies ---
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the bundled program only ---------------------------
FROM node:24-slim AS runtime
# The daemon's memory settings, the same as the systemd unit's (see there; test/e2e/packaging.test.ts
# keeps them equal): a small young generation, two V8 helper threads, a fixed glibc mmap threshold.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=2 --v8-pool-size=2" \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MOBILEID_SYNC_CONFIG=/config/config.json5 \
    MOBILEID_SYNC_STATE_DIR=/state
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/bin ./dist/bin
COPY config/example.json5 ./config/example.json5
# The image's unprivileged `node` user (uid 1000) owns the writable volumes; a drop folder shared
# with an exporter must be writable for it (files are moved to /drop/archive and /drop/failed).
RUN mkdir -p /config /state /drop && chown node:node /state /drop
USER node
VOLUME ["/config", "/state", "/drop"]
EXPOSE 9464
# slim has no curl: ask /healthz with Node's fetch, on the port of admin.listen.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const l=process.env.MOBILEID_SYNC_ADMIN_LISTEN||'127.0.0.1:9464';fetch('http://127.0.0.1:'+l.slice(l.lastIndexOf(':')+1)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: finish the upload in progress (daemon.shutdownGraceMs, 30 s), then exit 0.
# Give `docker stop -t 45` / stop_grace_period: 45s so Docker does not SIGKILL first.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/bin/mobileid-sync.cjs"]
CMD ["run"]
