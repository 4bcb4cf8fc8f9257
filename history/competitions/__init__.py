"""Competitions (issue 19): a metric, a time window and participants (optionally in teams).

Parts: `models` (Competition, CompetitionTeam, CompetitionParticipant), `services` (writes),
`standings` (reads: status, standings, chart series), `schedules` (the only owner of the clocked
PeriodicTasks), `tasks` (start/end fetches and events, the running-competition sweep), `chart`,
`serializers`, `views`, `admin`. docs/competitions.md describes the rules.
"""
