FROM debian:bookworm AS base
SHELL ["/bin/bash", "-c"]
ENV BASE_DIR=/srv
ARG TOKEN
FROM base AS build
RUN [[ -n "$BASE_DIR" ]] && echo $TOKEN
FROM debian:bookworm
RUN [[ -n "$BASE_DIR" ]] && echo $TOKEN
