# sked container image, for machines with a container engine:
#   docker build -t sked:0.1.0 .
# It holds what `make image` (scripts/build-image.sh, no engine needed) puts in its archive:
# the static release binary, exactly the shared libraries it links, copied from the Debian
# bookworm build stage itself (so the glibc it was linked against is the glibc it runs on),
# CA certificates, time zone data, a nonroot user (65532). No shell, no package manager.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata git && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY scripts/stamp-build-info.sh ./scripts/
COPY .git ./.git
RUN ./scripts/stamp-build-info.sh swift build -c release --static-swift-stdlib --product sked \
 && cp "$(swift build -c release --show-bin-path)/sked" /sked && strip /sked
# The runtime file tree: every library the loader resolves for /sked, at its own path.
RUN set -eu; mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/usr/share /rootfs/tmp /rootfs/home/nonroot; \
    cp /sked /rootfs/usr/local/bin/sked; \
    for lib in $(ldd /sked | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }'); do \
      mkdir -p "/rootfs$(dirname "$lib")"; cp -L "$lib" "/rootfs$lib"; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    cp -r /usr/share/zoneinfo /rootfs/usr/share/zoneinfo; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' > /rootfs/etc/nsswitch.conf; \
    chmod 1777 /rootfs/tmp; chown 65532:65532 /rootfs/home/nonroot; chmod 700 /rootfs/home/nonroot

FROM scratch
COPY --from=build /rootfs /
ENV PATH=/usr/local/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/sked"]
CMD ["operator"]
