"""A start wrapper that reads secrets from files into the environment (Docker Swarm secrets).

Swarm mounts secrets as files and has no "environment variable from a secret". Programs that
read a credential from the environment (redis-cli reads REDISCLI_AUTH) are started through
this wrapper: for each ``NAME`` listed, it exports ``NAME`` with the content of the file that
``NAME_FILE`` names, then runs the command. No secret is ever on a command line.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


def render_env_from_files_script(variables: Sequence[str]) -> str:
    names = " ".join(shlex.quote(name) for name in variables)
    return f"""#!/bin/sh
# Exports each of {names} from the file its *_FILE variable names, then runs "$@".
set -eu
for name in {names}; do
  eval "file=\\${{${{name}}_FILE:-}}"
  [ -n "$file" ] || {{ echo "env-from-files: ${{name}}_FILE is not set" >&2; exit 1; }}
  value=$(cat "$file")
  export "$name=$value"
done
exec "$@"
"""
