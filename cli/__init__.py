"""`cdp`, the admin command line: tenants, bulk imports, definitions as files, profiles, audience members and
membership changes.

It is an internal caller like the gateway: it talks to the services over gRPC, naming the workspace in the
`x-cdp-workspace` metadata, and reads the gateway's environment for where they are. Only tenant creation writes
the store itself (the `workspaces` collection is admin tooling's). Each command is a module of its own, loaded
when it runs (`main.py` dispatches), so that a quick command does not pay for the others' imports.
"""

import os

# gRPC's core logs its own view of a failure to stderr; the CLI reports every failure in one line of its own.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
