"""One module per command or command group; each only wires options to the library and renders.

exactsync.cli.COMMANDS names them all and loads each on demand."""
