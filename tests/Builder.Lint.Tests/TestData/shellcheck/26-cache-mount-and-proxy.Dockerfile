# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install -y --no-install-recommends curl && echo $http_proxy $HTTPS_PROXY $no_proxy
RUN --mount=type=secret,id=token export TOKEN=$(cat /run/secrets/token) && curl -H "Authorization: $TOKEN" https://example.com
