FROM debian:bookworm
RUN <<EOT
#!/usr/bin/env bash
set -euo pipefail
[[ -d /etc ]] && echo $HOME
cd /tmp
EOT
RUN <<EOT
#!/usr/bin/env python3
import os
print(os.environ)
EOT
