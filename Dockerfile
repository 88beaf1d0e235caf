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
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 5000
# Node options: see apps/gateway/src/bootstrap/node-flags.ts.
ENTRYPOINT ["node", "--max-semi-space-size=1", "dist/apps/gateway/src/main.js"]
