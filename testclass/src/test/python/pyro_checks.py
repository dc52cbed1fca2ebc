"""Checks a Pyro4 client makes of the provisioning service beyond the original client's calls:
keyword arguments, results as plain Python values, handshake metadata, batches, oneway-free
errors. Prints one line per check; exits non-zero at the first that fails."""
import os
import sys

import Pyro4

ns = Pyro4.locateNS(os.environ["NS_HOST"], int(os.environ["NS_PORT"]))
server = Pyro4.Proxy("PYRONAME:example.provisioning@%s:%s" % (os.environ["NS_HOST"],
                                                              os.environ["NS_PORT"]))
server._pyroBind()
methods = server._pyroMethods
assert {"provision", "detach_node", "list_all_images", "create_snapshot", "image_info",
        "list_exports"} <= methods, methods
assert not any(m[0].isupper() or any(c.isupper() for c in m) for m in methods), methods
print("metadata ok", sorted(methods))

info = server.image_info(image="img1")
assert isinstance(info, dict) and info["image"] == "img1", info
assert info["size_bytes"] == 64 << 20, info
assert info["snapshots"] == ["golden"], info
print("kwargs and records ok", info)

exports = server.list_exports()
assert isinstance(exports, list), exports
print("list ok", exports)

try:
    server.provision("img1")
    raise SystemExit("a call with a missing argument went through")
except TypeError as e:
    assert "provision(image, node)" in str(e), e
    print("arity error ok:", e)

try:
    server.create_snapshot("nope", "s1")
    raise SystemExit("a snapshot of a missing image went through")
except Exception as e:
    assert "ImageNotFoundException: image nope not found" in str(e), e
    assert e.java_class.endswith("ImageNotFoundException"), e.java_class
    remote = "".join(Pyro4.util.getPyroTraceback())
    assert "at io.objectbroker" in remote, remote
    print("service error ok:", type(e).__name__, e)

with Pyro4.batch(server) as batch:
    batch.list_all_images()
    batch.image_info("img1")
    results = list(batch())
assert results[0] == ["img1"] and results[1]["image"] == "img1", results
print("batch ok")

# A client set to another serializer is told, in words it can read, that the server speaks serpent.
Pyro4.config.SERIALIZERS_ACCEPTED.add("pickle")
for serializer in ("marshal", "pickle"):
    other = Pyro4.Proxy(server._pyroUri)
    other._pyroSerializer = serializer
    try:
        other.list_all_images()
        raise SystemExit("a %s client was served" % serializer)
    except Pyro4.errors.CommunicationError as e:
        assert "serializer that is not accepted" in str(e) and "serpent" in str(e), e
    finally:
        other._pyroRelease()
print("other serializers refused ok")

# Pyro's json serializer is served too: the name server and the service, errors included.
Pyro4.config.SERIALIZER = "json"
ns = Pyro4.locateNS(os.environ["NS_HOST"], int(os.environ["NS_PORT"]))
assert ns._pyroSerializer is None and Pyro4.config.SERIALIZER == "json"
ns.register("json.check", "PYRO:x@10.0.0.9:5555", metadata={"m1"})
assert ns.list(prefix="json.") == {"json.check": "PYRO:x@10.0.0.9:5555"}, ns.list(prefix="json.")
# json has no sets: metadata comes as a list, as from Pyro4's own name server over json
assert ns.lookup("json.check", return_metadata=True)[1] == ["m1"]
assert ns.remove("json.check") == 1
service = Pyro4.Proxy(ns.lookup("example.provisioning"))
info = service.image_info(image="img1")
assert info["image"] == "img1" and info["size_bytes"] == 64 << 20, info
assert service.list_all_images() == ["img1"]
try:
    service.create_snapshot("nope", "s1")
    raise SystemExit("a snapshot of a missing image went through over json")
except Exception as e:
    assert "ImageNotFoundException: image nope not found" in str(e), e
with Pyro4.batch(service) as batch:
    batch.list_all_images()
    batch.image_info("img1")
    results = list(batch())
assert results[0] == ["img1"] and results[1]["image"] == "img1", results
print("json ok")
