FROM eclipse-temurin:17-jdk
ARG user=jenkins
ARG group=jenkins
ARG uid=1000
ARG gid=1000
ARG AGENT_WORKDIR=/home/${user}/agent
RUN groupadd -g ${gid} ${group} && useradd -d /home/${user} -u ${uid} -g ${group} -m ${user}
RUN mkdir /home/${user}/.jenkins && mkdir -p ${AGENT_WORKDIR} && export SOME=$(hostname)
