ARG BASE_TAG=bookworm
FROM debian:${BASE_TAG}
ENV DEBIAN_FRONTEND noninteractive
ARG PKGS="curl git"
RUN apt-get update && apt-get install -y $PKGS && echo $BASE_TAG
