# One image for every role: migrate+import, worker, all-in-one server. Runs TypeScript with tsx.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
# node itself as the first process, so SIGTERM from `docker stop` reaches the graceful shutdown.
CMD ["node", "--import", "tsx", "workers/main.ts"]
