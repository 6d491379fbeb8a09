"""One module per command or command group; each only wires options to the library and renders."""

from exactsync.commands.activation import activate_command, deactivate_command
from exactsync.commands.connect import connect_command
from exactsync.commands.demo import demo_command
from exactsync.commands.init import init_command
from exactsync.commands.lists import customers_command, items_command
from exactsync.commands.log import log_command
from exactsync.commands.pull import cleanup_command, pull_command
from exactsync.commands.push import push_command
from exactsync.commands.sandbox import sandbox_group
from exactsync.commands.settings import check_settings_command, settings_command
from exactsync.commands.status import status_command
from exactsync.commands.wipe import wipe_command
from exactsync.commands.workaddress import workaddress_group
from exactsync.commands.workorder import workorder_group

ALL_COMMANDS = [check_settings_command, settings_command, pull_command, push_command, cleanup_command, customers_command,
                items_command, init_command, status_command, log_command, connect_command, wipe_command, activate_command, deactivate_command, workaddress_group, workorder_group,
                sandbox_group, demo_command]
