# syntax=docker/dockerfile:1
# wa-router container: multi-stage build on Node.js 26, the Active LTS line (slim Debian 13 "trixie"),
# runs as a non-root user. docs/runtime.md says which Node lines are supported and tested.
#   docker build -t wa-router .
#   docker run -p 8080:8080 -e WA_ROUTER_SECRET=… -v ./config:/app/config:ro -v wa-data:/app/data wa-router
#
# test/ship/container.test.ts reads this file and performs the same steps without an engine
# (production install, the COPY lines of the runtime stage, ENV, WORKDIR, USER, ENTRYPOINT/CMD,
# HEALTHCHECK, SIGTERM): keep the instructions on one line each, or update the test's parser.

FROM node:26-trixie-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
# Plain JavaScript in dist/ (no tsx or TypeScript at run time), then only the production dependencies.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# better-sqlite3's compiler output and SQLite sources are only needed to rebuild it (≈ 25 MB).
RUN cd node_modules/better-sqlite3 && rm -rf deps src && find build -mindepth 1 ! -path build/Release ! -path build/Release/better_sqlite3.node -prune -exec rm -rf {} +

FROM node:26-trixie-slim
ENV NODE_ENV=production WA_ROUTER_CONFIG=/app/config/wa-router.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /app/data /app/config/plugins && chown -R node:node /app/data
USER node
# /app/data: SQLite store and file connector output (store: sqlite:./data/wa-router.db).
# /app/config: wa-router.yaml, and custom connector modules under /app/config/plugins.
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# docker stop waits 10 s (its default) before SIGKILL; server.shutdownGrace (default 8 s) stays below that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
