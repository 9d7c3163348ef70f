FROM debian:bookworm
RUN [[ -d /opt ]] && for i in {1..3}; do echo "$i"; done
RUN if [ "$HOME" == "/root" ]; then echo root; fi
RUN echo -n hello && source /etc/profile
