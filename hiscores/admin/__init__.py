"""Admin of snapshots and players (adding a player stores its first snapshot).

The Player admin lives here, above the players app, because it tracks players (a hiscores service)
and shows their snapshots; the players app itself never imports snapshot storage.
"""

from hiscores.admin import players, snapshots

__all__ = ["players", "snapshots"]
