# Control worker and API image (one image, two commands). Node 24 LTS.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Mount points of the pki and broker-config volumes (docker-compose.yml): a new named volume takes the
# owner of the image's directory, so the API and the worker (user node) can write there.
RUN mkdir -p /var/lib/edge-overlay/pki /var/lib/edge-overlay/broker \
  && chown -R node:node /var/lib/edge-overlay && chmod 700 /var/lib/edge-overlay/pki /var/lib/edge-overlay/broker
USER node
ENTRYPOINT ["node", "bin/edge-overlay.js"]
CMD ["worker"]
