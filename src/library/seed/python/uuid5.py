import uuid

_NAMESPACES = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID, "x500": uuid.NAMESPACE_X500}


def uuid5(namespace, name):
    """Name-based UUID (version 5, SHA-1): the same namespace and name always give the same UUID."""
    ns = _NAMESPACES.get(namespace.lower())
    if ns is None:
        ns = uuid.UUID(namespace)
    return str(uuid.uuid5(ns, name))
