FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
ARG TARGETARCH
WORKDIR /source
COPY . .
RUN dotnet publish -a $TARGETARCH --use-current-runtime --self-contained false -o /app
FROM mcr.microsoft.com/dotnet/aspnet:8.0
RUN echo "user is $APP_UID" && id -u $APP_UID
