# syntax=docker/dockerfile:1
#
# resellerbot container image.
#
#   docker build --build-arg VERSION=v1.2.3 -t resellerbot:v1.2.3 .
#
# See "## Deploy" in README.md for running it.

# Build stage: a static, stripped, reproducible binary. It runs on the build
# host's platform and cross-compiles for the target (docker buildx build
# --platform linux/arm64 … needs no emulation).
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum
# change, not on every source edit.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/resellerbot ./cmd/resellerbot

# The state directory, owned by the nonroot user (65532) so that a fresh
# named volume mounted there (Docker copies the image's ownership into it)
# is writable. The final stage has no shell to mkdir/chown with.
RUN mkdir -p /rootfs/var/lib/resellerbot \
    && chown 65532:65532 /rootfs/var/lib/resellerbot \
    && chmod 0700 /rootfs/var/lib/resellerbot

# Final stage: distroless static has no shell and no package manager, only
# what a CGO_ENABLED=0 Go binary needs: CA certificates (for the OmniDimension
# and Slack HTTPS APIs), tzdata, /etc/passwd with root and nonroot (65532)
# users, and /tmp. PATH includes /usr/local/bin.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/resellerbot /usr/local/bin/resellerbot
COPY deploy/config.docker.yaml /etc/resellerbot/config.yaml
COPY --from=build --chown=65532:65532 /rootfs/var/lib/ /var/lib/

USER 65532:65532
# The bbolt store (store.path in the config). One container at a time: the
# file is single-writer, and a second process fails on its lock.
VOLUME /var/lib/resellerbot
# /healthz, /readyz and /metrics (http.listen in the config).
EXPOSE 9464

# Exec form, no shell or curl needed: exits 0 when /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["resellerbot", "healthcheck"]

ENTRYPOINT ["resellerbot"]
CMD ["run", "--config", "/etc/resellerbot/config.yaml"]
