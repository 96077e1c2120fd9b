# sked container image. Multi-stage: a static release build, then a minimal runtime.
#   docker build -t sked:0.1.0 .
# (Docker is not available on the development machines; `make release-binary` builds and
# checks the same static binary this image ships.)
FROM swift:6.1-noble AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY scripts/stamp-build-info.sh ./scripts/
COPY .git ./.git
RUN ./scripts/stamp-build-info.sh swift build -c release --static-swift-stdlib --product sked \
 && cp "$(swift build -c release --show-bin-path)/sked" /sked && strip /sked

# The static binary still links libc, libstdc++, libgcc_s and zlib dynamically; a slim Debian
# has exactly those plus CA certificates, and no shell is needed at run time.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /sked /usr/local/bin/sked
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/sked"]
CMD ["operator"]
