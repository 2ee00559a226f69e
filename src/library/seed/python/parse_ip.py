import ipaddress


def parse_ip(text):
    """Parses an IPv4 or IPv6 address: version, compressed and exploded forms, and what kind of address it is."""
    ip = ipaddress.ip_address(text.strip())
    return {
        "version": ip.version,
        "compressed": ip.compressed,
        "exploded": ip.exploded,
        "is_private": ip.is_private,
        "is_loopback": ip.is_loopback,
        "is_global": ip.is_global,
        "is_multicast": ip.is_multicast,
    }
