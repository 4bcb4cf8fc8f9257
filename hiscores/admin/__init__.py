"""Admin of snapshots, players (adding a player stores its first snapshot) and groups.

The Player admin lives here, above the players app, because it tracks players (a hiscores service)
and shows their snapshots; the players app itself never imports snapshot storage.
"""

from hiscores.admin import groups, players, snapshots

__all__ = ["groups", "players", "snapshots"]
