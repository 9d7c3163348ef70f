FROM rust:1.74 AS builder
WORKDIR /usr/src/app
COPY . .
RUN cargo install --path . && strip $CARGO_HOME/bin/app
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y extra-runtime-dependencies && rm -rf /var/lib/apt/lists/*
