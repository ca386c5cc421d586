# One image for every role: migrate+import, worker, all-in-one server. Runs the compiled JavaScript
# (`npm run build`) on the current Node LTS; TypeScript and tsx stay in the build stage.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# `node bin/aikeys.js <command>` runs the compiled CLI here (tsx is not installed).
COPY bin ./bin
# For the hint an incomplete env file prints ("copy config/.env.example to ..."); the real file is
# mounted at config/.env.local (see docker-compose.yml).
COPY config/.env.example ./config/
USER node
# node itself as the first process, so SIGTERM from `docker stop` reaches the graceful shutdown.
CMD ["node", "dist/workers/main.js"]
