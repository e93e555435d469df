FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends sox espeak-ng && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-fund --no-audit && npm install --no-save tsx
COPY . .
RUN npx tsx scripts/make-prompts.ts /var/lib/cti/prompts
CMD ["npx", "tsx", "src/main.ts"]
