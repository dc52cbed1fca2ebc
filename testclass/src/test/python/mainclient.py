"""The original system's client, in its shape: python mainclient.py METHOD ARGS...

It finds the name server with Pyro4.locateNS(address, port), looks up the provisioning
service, and calls METHOD with the arguments as strings. Only the address differs from the
original: it comes from the environment, so that the tests can use a name server of their own.
"""
import os
import sys

import Pyro4

name_server_address = os.environ.get("NS_HOST", "127.0.0.1")
name_server_port = int(os.environ.get("NS_PORT", "9090"))


def main():
    ns = Pyro4.locateNS(name_server_address, name_server_port)
    uri = ns.lookup("example.provisioning")
    server = Pyro4.Proxy(uri)
    method = getattr(server, sys.argv[1])
    print(method(*sys.argv[2:]))


if __name__ == "__main__":
    sys.excepthook = Pyro4.util.excepthook  # prints the remote traceback too
    main()
