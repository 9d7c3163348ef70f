FROM mcr.microsoft.com/powershell:lts-debian-11 AS ps
SHELL ["pwsh", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN $files = Get-ChildItem; echo $files
FROM debian:bookworm
RUN echo $(ls)
