FROM golang:1.21 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app && cd /out && ls -la $(pwd)
FROM alpine:3.19
RUN apk add --no-cache ca-certificates && echo $HOSTNAME > /etc/built-on
COPY --from=build /out/app /app
