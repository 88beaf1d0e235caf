# Production image on node:24. Not built in CI (no Docker engine there); the same processes are.
FROM node:24 AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY apps apps
COPY libs libs
# npm ci builds (the prepare script); then only the runtime dependencies stay.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY bin ./bin
# The dashboard's static files (/ui), served as they are: tsc does not touch them.
COPY ui ./ui
# `gantry gc`, `gantry robot list`, … inside the container: docker exec <container> gantry --help
RUN mkdir -p /app/data && chown node:node /app/data && ln -s /app/bin/gantry.js /usr/local/bin/gantry
USER node
EXPOSE 5000
# Healthy = ready to serve (backends and Redis reachable). No curl in the image: Node's fetch.
# Another server.listen port or TLS: set GANTRY_HEALTHCHECK_URL.
ENV GANTRY_HEALTHCHECK_URL=http://127.0.0.1:5000/readyz
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GANTRY_HEALTHCHECK_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node options: see apps/gateway/src/bootstrap/node-flags.ts.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--initial-old-space-size=96", "--no-maglev", "--v8-pool-size=2", "dist/apps/gateway/src/main.js"]
