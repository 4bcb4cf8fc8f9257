"""Groups of tracked players (a clan, a team): CRUD, membership rules and their API.

`services` owns the writes (create, update, delete, add and remove members), `selectors` the
reads (lists with member counts, a group by id, members, names resolved like `player_get`).
Adding untracked names (`track_missing`) and fetching a whole group need the hiscores add path
and fetch task: they live in `hiscores.groups`; gains and stats read snapshots: `history.groups`.
"""
