"""The Flask gateway: webhooks, conversation, APIs, console and scheduled jobs."""
