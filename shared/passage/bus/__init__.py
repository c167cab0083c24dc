"""The message bus: topology, publisher with confirms, outbox relay, consumer base, dead letters.

Works the same on RabbitMQ (``AMQP_URL``) and on kombu's MongoDB transport (embedded default).
"""
