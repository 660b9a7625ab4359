# rest-auth in a container: a build stage with the same tools scripts/tools.sh installs, and a
# small final image that runs the server as an unprivileged user.
#
#   docker build -t rest-auth .
#   docker run -p 3000:3000 -v rest-auth-data:/data rest-auth
#
# NOT TESTED: the machines this project is built on cannot run Docker (see the README).

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm python3 \
 && rm -rf /var/lib/apt/lists/*
# cargo-leptos's locked dependencies need a newer rustc than some stable releases.
RUN rustup toolchain install nightly --profile minimal
WORKDIR /src
COPY . .
RUN bash -c 'source scripts/tools.sh && ensure_build_tools' \
 && PATH="/src/end2end/node_modules/.bin:$PATH" cargo leptos build --release --split --precompress

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin rest-auth \
 && mkdir -p /data && chown rest-auth /data && chmod 0700 /data
WORKDIR /app
COPY --from=build /src/target/release/rest-auth /app/rest-auth
COPY --from=build /src/target/site /app/site
USER rest-auth
ENV LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_SITE_ROOT=/app/site \
    DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["/app/rest-auth"]
