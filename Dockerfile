# promptgate as a container: the GitHub App (`promptgate serve`) by default, and
# any other command (`docker run IMAGE eval --help`).
#
# The build stage cross-compiles on the builder's own platform (no emulation for
# arm64); the result is one static binary on distroless's static image, run as
# the unprivileged "nonroot" user (65532) with nothing else in the image: no
# shell, no package manager. docs/deploy.md shows how to run it.
#
#   docker build -t promptgate --build-arg VERSION=v1.4.0 .
#   docker run --rm -p 8080:8080 -e PROMPTGATE_APP_ID=123456 \
#     -v "$PWD/secrets:/var/run/promptgate:ro" promptgate serve \
#     --private-key-file /var/run/promptgate/private-key.pem \
#     --webhook-secret-file /var/run/promptgate/webhook-secret

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/promptgate/promptgate/internal/cli.Version=${VERSION}" \
      -o /out/promptgate ./cmd/promptgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/promptgate /promptgate
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/promptgate"]
CMD ["serve"]
