"""Which addresses webhook and chat deliveries may reach (pure): the one policy the channel records and the HTTP
sender both apply.

Switchboard is self-hosted inside the network it serves, and its webhooks go to that network's own tools (a chat
server on the intranet, a bot beside the hub on loopback): private and loopback addresses are allowed. What no
channel may reach is an address no receiver lives at but a cloud's instance metadata service does: link-local
(169.254.169.254 hands out the machine's credentials on AWS, GCP and Azure; fd00:ec2::254 on AWS over IPv6), and
the unspecified, multicast and reserved ranges (0.0.0.0 reaches the machine itself on Linux, sidestepping a reader
of the URL). The sender checks every address a host name resolves to, at each connection, and connects to the
address it checked: a name that resolves there, or starts to after the check (DNS rebinding), is refused as a
literal address is. Redirects are never followed (outbound/channels/http.py), so none can lead there either.

A hub whose receivers all live on the internet (a SaaS chat, a hosted bot) can refuse its own network as well:
`SWITCHBOARD_WEBHOOK_TARGETS=public` refuses loopback, private, shared (carrier-grade NAT) and documentation
addresses too, so an admin's webhook URL cannot probe the intranet or the services beside the hub on loopback.
"""

from __future__ import annotations

import ipaddress
from typing import Literal, get_args

#: Which addresses webhooks may reach: `network` (the default) the hub's own network and the internet, `public`
#: the internet only.
Reach = Literal["network", "public"]
REACHES: tuple[Reach, ...] = get_args(Reach)

#: AWS's instance metadata service over IPv6: a unique local address, so the ranges below do not name it.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254")})
#: What the refusals tell an admin to do.
ADVICE = "point the channel at the receiver's own address"


def refused_address(text: str, reach: Reach = "network") -> str | None:
    """Why a webhook may not be sent to the IP address `text` under `reach`, or None when it may. `text` is an
    address as the resolver gives it; an IPv4 address written as IPv6 (`::ffff:169.254.169.254`) is judged as the
    IPv4 one."""
    address = ipaddress.ip_address(text.partition("%")[0])  # an IPv6 zone ("fe80::1%eth0") names no other address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        kind = "a cloud's instance metadata address"
    elif address.is_loopback:
        kind = None  # IPv6's ::1 lies in the reserved ::/8
    elif address.is_link_local:
        kind = "a link-local address, where clouds serve instance metadata"
    elif address.is_unspecified:
        kind = "the unspecified address, which reaches this machine"
    elif address.is_multicast:
        kind = "a multicast address"
    elif address.is_reserved:
        kind = "a reserved address"
    else:
        kind = None
    if kind is None:
        if reach == "public" and not address.is_global:
            return (
                f"{address} is not a public internet address, and SWITCHBOARD_WEBHOOK_TARGETS=public allows only"
                " those; point the channel at the receiver's public address, or unset the setting to allow the"
                " hub's own network"
            )
        return None
    return f"{address} is {kind}: webhooks are never sent there; {ADVICE}"


def refused_host(host: str, reach: Reach = "network") -> str | None:
    """Why a URL naming `host` may not be a channel's, when `host` is an IP address that may not be reached; None
    for a host name (which is checked as it resolves, at each delivery) or an address that may."""
    try:
        return refused_address(host, reach)
    except ValueError:
        return None
