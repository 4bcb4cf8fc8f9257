"""Webhooks: deliver outbox events (osrs_diff.events) to HTTP endpoints (docs/webhooks.md).

- `payloads`: the JSON body, the signature and the headers of one request;
- `discord`: the same event as Discord's webhook body, in human sentences;
- `delivery`: fan events out into deliveries, send the due ones, retry, give up, disable;
- `services`: create, change and delete webhooks (the API and the admin call these).
"""
