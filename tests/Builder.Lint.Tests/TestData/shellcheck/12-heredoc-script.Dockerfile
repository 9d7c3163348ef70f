FROM debian:bookworm
ARG VERSION=1.0
RUN <<EOF
set -e
cd /opt
echo $VERSION
for f in $(ls); do echo $f; done
EOF
RUN echo done
