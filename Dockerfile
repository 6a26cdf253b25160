# syntax=docker/dockerfile:1
# The Tollgate gateway image: a build stage (pnpm, TypeScript) and a slim runtime stage with only the app's dist and
# its production dependencies, run as the unprivileged `node` user. deploy/deploy.test.ts replays these steps.
#   docker build -t tollgate .
#   docker run --rm -p 8080:8080 tollgate            # the demo config; mount yours and set TOLLGATE_CONFIG
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# not replayed (the test machine has pnpm)
RUN npm install -g pnpm@10.34.8
# Manifests first, so the dependency layer is reused until a manifest or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY apps/gateway/package.json apps/gateway/
RUN pnpm install --frozen-lockfile --filter "@tollgate/gateway..."
COPY packages/core packages/core
COPY apps/gateway apps/gateway
RUN pnpm build && pnpm --filter @tollgate/gateway deploy --legacy --prod out

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY --from=build /src/out /app
USER node
# The default config keeps API keys in ./.tollgate/keys.json: the node user's home is writable.
WORKDIR /home/node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/_health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The gateway drains in-flight requests on SIGTERM (shutdownTimeoutMs); node runs as PID 1 and handles it itself.
STOPSIGNAL SIGTERM
CMD ["node", "/app/dist/main.js"]
