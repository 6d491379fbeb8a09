"""One module per command or command group; each only wires options to the library and renders."""

from exactsync.commands.init import init_command
from exactsync.commands.log import log_command
from exactsync.commands.status import status_command

ALL_COMMANDS = [init_command, status_command, log_command]
