#!/usr/bin/python3
"""The Python client of the start-up comparison: resolves example.provisioning through the
Pyro4 name server, calls list_all_images() and prints one image a line, as
`bin/mainclient list_all_images` does.

    /usr/bin/python3 pyro_client.py 127.0.0.1 19190
"""
import sys

import Pyro4


def main():
    ns_host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    ns_port = sys.argv[2] if len(sys.argv) > 2 else "9090"
    with Pyro4.Proxy("PYRONAME:example.provisioning@%s:%s" % (ns_host, ns_port)) as p:
        for image in p.list_all_images():
            print(image)


if __name__ == "__main__":
    main()
