FROM alpine:3.19
RUN cat <<EOF > /etc/motd
Welcome $USER
EOF
RUN cd /srv && echo $(date)
