"""Where choso may send a request: outbound calls to plugins' services never reach private addresses.

A staff member (or a stolen staff session) who points an integration at 127.0.0.1, 10.x, 169.254.169.254 and
the like would make choso's workers call the commune's own internal services with stored credentials. Such
addresses are refused unless the operator allows them (CHOSO_ALLOW_PRIVATE_ADDRESSES=1, which the
sandboxes of `choso run --demo` and the test suite set, since their marketplaces listen on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def private_address(url: str) -> str | None:
    """The private, loopback or link-local address `url` leads to, or None when it leads only to public ones.

    A host name is resolved: every address it resolves to must be public. A name that does not resolve is let
    through (the call will fail by itself; nothing private was reached)."""
    host = urlsplit(url).hostname or ""
    try:
        return host if _private(host) else None
    except ValueError:
        pass  # a name, not an address
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return None
    return next((address for address in sorted(found) if _private(address)), None)
