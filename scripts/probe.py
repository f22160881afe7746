"""Exit 0 when the PostgreSQL or Redis server named by the URL answers within two seconds."""

import socket
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
default_port = 6379 if url.scheme.startswith("redis") else 5432
try:
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or default_port), timeout=2):
        pass
except OSError:
    sys.exit(1)
