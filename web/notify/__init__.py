"""Reaching people: message templates and the channels that carry them (SMS, e-mail, group robots, the log).

The outbox rows themselves are written by web/services/notifications.py, in the same transaction
as the event; web/workers/delivery.py sends them on the queue.
"""
