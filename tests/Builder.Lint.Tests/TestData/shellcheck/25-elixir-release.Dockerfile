FROM elixir:1.15 AS build
ENV MIX_ENV=prod
RUN mix local.hex --force && mix local.rebar --force
COPY . .
RUN mix deps.get --only $MIX_ENV && mix release && cp -r _build/$MIX_ENV/rel/app /release
FROM debian:bookworm-slim
RUN apt-get update -y && apt-get install -y libstdc++6 openssl libncurses5 locales && apt-get clean && rm -f /var/lib/apt/lists/*_*
RUN sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen
