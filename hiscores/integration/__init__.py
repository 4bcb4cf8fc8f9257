"""The hiscores integration: everything that talks to (or pretends to be) the official hiscores.

It imports no model of any app (`.importlinter`): the client (one attempt per call), parsing into
result types, the metric catalogue, the shared rate limiter and circuit breaker with their state
stores, errors that say transient or permanent, and the fakes and fake server for tests and demos.
`shared` builds the process-wide client, limiter and breaker from settings.
"""
