FROM alpine:3.19
ENV GLIBC_VERSION=2.35
RUN apk add --no-cache --virtual .build-deps curl && \
    curl -Lo /tmp/glibc.apk https://example.com/glibc-${GLIBC_VERSION}.apk && \
    apk add --allow-untrusted /tmp/glibc.apk && \
    apk del .build-deps && \
    rm -rf /tmp/*.apk && \
    cd /usr/glibc-compat && ls | grep -v lib
