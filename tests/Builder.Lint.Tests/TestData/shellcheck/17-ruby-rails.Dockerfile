FROM ruby:3.2
ENV RAILS_ENV=production BUNDLE_WITHOUT="development test"
RUN apt-get update -qq && apt-get install -y nodejs postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /myapp
COPY Gemfile Gemfile.lock ./
RUN bundle install && bundle exec bootsnap precompile --gemfile
RUN SECRET_KEY_BASE=dummy bundle exec rails assets:precompile && find . -name '*.gz' | xargs rm
