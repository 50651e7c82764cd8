# Buy with Prime install app (deployTarget "fargate"): handlers/buy-with-prime/oauth/server.ts as a plain node:http server.
#
# `make bwp-image` bundles server.ts with esbuild (the same pinned toolchain as the Lambda zips: one ESM file,
# AWS SDK included) into the build context next to this file, then builds this image for linux/arm64 (the task's
# CPU architecture) and pushes it to the stack's ECR repository. The image holds no secret: the client secret
# is read at run time from Secrets Manager.
FROM public.ecr.aws/docker/library/node:22-alpine

ENV NODE_ENV=production \
    PORT=8080

WORKDIR /app
COPY server.mjs ./server.mjs

# The "node" user of the official image (uid/gid 1000); the task definition also runs it as 1000:1000 with a
# read-only root filesystem.
USER 1000:1000
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "server.mjs"]
