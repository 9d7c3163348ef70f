FROM node:20
ENV APP_DIR=/usr/src/app
ONBUILD RUN cd $APP_DIR && npm install
ONBUILD RUN echo `date` > /built
RUN mkdir -p $APP_DIR
