# NeonChat images, one target per service, all built from the repository root:
#   docker build --target api       -t neonchat-api .        (also runs the migrations)
#   docker build --target gateway   -t neonchat-gateway .
#   docker build --target persister -t neonchat-persister .  (also provisions the streams)
#   docker build --target presence  -t neonchat-presence .
# Plain Dockerfile syntax: the classic builder and BuildKit both build it (BuildKit builds
# only the stages a target needs, and in parallel). docker-compose.yml builds these targets.
#
# Each image holds its own workspace's production dependencies and compiled code, and
# common's: `npm ci --omit=dev -w <service>` installs only what that workspace needs.

ARG NODE_IMAGE=node:24-trixie-slim

# The workspace's manifests: what `npm ci` depends on.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY api/package.json api/
COPY gateway/package.json gateway/
COPY persister/package.json persister/
COPY presence/package.json presence/
COPY bench/package.json bench/
COPY web/package.json web/

# Every workspace compiled (tsc -b), with the dev dependencies.
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY common common
COPY api api
COPY gateway gateway
COPY persister persister
COPY presence presence
COPY bench bench
COPY web web
RUN npm run build

# Production dependencies, one stage per service: that workspace's and common's, nothing else.
FROM manifests AS deps-api
RUN npm ci --omit=dev --no-audit --no-fund -w api -w common && npm cache clean --force

FROM manifests AS deps-gateway
RUN npm ci --omit=dev --no-audit --no-fund -w gateway -w common && npm cache clean --force
# Both uWebSockets.js builds (gateway/src/native-uws.ts) ship native binaries for every platform
# and Node ABI: keep this image's only.
RUN keep="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" && \
  find node_modules -ipath '*uwebsockets.js*' -name '*.node' ! -name "$keep" -delete

FROM manifests AS deps-persister
RUN npm ci --omit=dev --no-audit --no-fund -w persister -w common && npm cache clean --force

FROM manifests AS deps-presence
RUN npm ci --omit=dev --no-audit --no-fund -w presence -w common && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

FROM runtime AS api
COPY --from=deps-api /app ./
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/api/dist api/dist
# The browser client (web/ workspace, bundled by esbuild at build time) that the api serves
# at `/`: static files only, so the image needs no web dependency at run time.
COPY --from=build /app/web/dist web/dist
ENV API_HOST=0.0.0.0
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.API_PORT ?? 8080}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "api/dist/main.js"]

FROM runtime AS gateway
COPY --from=deps-gateway /app ./
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/gateway/dist gateway/dist
ENV GATEWAY_HOST=0.0.0.0
USER node
EXPOSE 8082 9082
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.GATEWAY_METRICS_PORT ?? 9082}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A fixed young generation: half the GC pauses under load (gateway/src/node-flags.ts).
CMD ["node", "--max-semi-space-size=32", "--min-semi-space-size=32", "gateway/dist/main.js"]

FROM runtime AS persister
COPY --from=deps-persister /app ./
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/persister/dist persister/dist
ENV PERSISTER_METRICS_HOST=0.0.0.0
USER node
EXPOSE 9083
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PERSISTER_METRICS_PORT ?? 9083}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "persister/dist/main.js"]

FROM runtime AS presence
COPY --from=deps-presence /app ./
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/presence/dist presence/dist
ENV PRESENCE_METRICS_HOST=0.0.0.0
USER node
EXPOSE 9084
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PRESENCE_METRICS_PORT ?? 9084}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "presence/dist/main.js"]
