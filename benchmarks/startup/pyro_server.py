#!/usr/bin/python3
"""The Python side of the start-up comparison: a Pyro4 object with list_all_images().

Registers itself as example.provisioning in a running Pyro4 name server, as bin/mainserver
registers the provisioning service, and serves until killed.

    /usr/bin/python3 -m Pyro4.naming -n 127.0.0.1 -p 19190 &
    /usr/bin/python3 pyro_server.py 127.0.0.1 19190

Pyro4, not Pyro5: Debian bookworm packages python3-pyro4 only (python3-pyro5 does not exist
there, and PyPI is not reachable from the benchmark machine).
"""
import sys

import Pyro4


@Pyro4.expose
class Provisioning(object):
    """A stand-in for the provisioning service: the images, as mainclient prints them."""

    def list_all_images(self):
        return ["img1"]


def main():
    ns_host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    ns_port = int(sys.argv[2]) if len(sys.argv) > 2 else 9090
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Provisioning, "example.provisioning")
    Pyro4.locateNS(host=ns_host, port=ns_port).register("example.provisioning", uri)
    print("pyro server ready: example.provisioning -> %s" % uri, flush=True)
    daemon.requestLoop()


if __name__ == "__main__":
    main()
