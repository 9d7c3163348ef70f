FROM ubuntu:22.04
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/key.gpg | gpg --dearmor > /usr/share/keyrings/example.gpg
RUN [[ -d /opt ]] && for i in {1..3}; do echo "$i"; done
RUN source /etc/os-release && echo $VERSION_ID
