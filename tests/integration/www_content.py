#!/usr/bin/env python3
"""The files nginx serves in the integration tests; the checks compare against them."""
import json
import os
import sys


def files():
    items = [{"id": i, "name": "item-%d" % i, "tags": ["a", "b"], "price": i * 1.5}
             for i in range(60)]
    return {
        "index.json": json.dumps({"items": items}),
        "a.txt": "alpha\n",
        "b.txt": "bravo\n" * 50,
    }


if __name__ == "__main__":
    for name, text in files().items():
        with open(os.path.join(sys.argv[1], name), "w") as f:
            f.write(text)
