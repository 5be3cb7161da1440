# syntax=docker/dockerfile:1
# wa-router container: multi-stage build on Node 20 LTS (slim), runs as a non-root user.
#   docker build -t wa-router .
#   docker run -p 8080:8080 -e WA_ROUTER_SECRET=… -v ./config:/app/config:ro -v wa-data:/app/data wa-router

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    WA_ROUTER_CONFIG=/app/config/wa-router.yaml
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
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
