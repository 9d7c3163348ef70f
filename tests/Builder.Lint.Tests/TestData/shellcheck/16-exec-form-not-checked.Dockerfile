FROM debian:bookworm
RUN ["sh", "-c", "echo $(ls) $UNQUOTED"]
RUN ["/bin/echo", "hello"]
RUN echo $(ls)
